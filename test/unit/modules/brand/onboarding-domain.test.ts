import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import {
  cleanFilename,
  companySchema,
  companyText,
  looksLikePdf,
  nextStep,
  normaliseWebsite,
  previousStep,
  sniffAudio,
  websiteSchema,
} from '../../../../src/modules/brand/onboarding-domain.js';
import { ValidationError } from '../../../../src/shared/errors.js';
import { parseInput } from '../../../../src/shared/validation.js';

const CORPUS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../../shared/corpus');

function fieldErrors(fn: () => unknown): Record<string, string> {
  try {
    fn();
  } catch (err) {
    if (err instanceof ValidationError) return err.fieldErrors;
    throw err;
  }
  throw new Error('expected a validation error');
}

describe('onboarding domain', () => {
  it('orders the steps', () => {
    expect(nextStep('company')).to.equal('audio');
    expect(nextStep('website')).to.equal('review');
    expect(nextStep('review')).to.equal('review');
    expect(previousStep('company')).to.equal(null);
    expect(previousStep('questionnaire')).to.equal('audio');
  });

  it('recognises audio by its bytes, whatever its name', () => {
    expect(sniffAudio(fs.readFileSync(path.join(CORPUS, 'audio/jfk.mp3')))).to.deep.equal({ mimeType: 'audio/mpeg', extension: 'mp3' });
    expect(sniffAudio(fs.readFileSync(path.join(CORPUS, 'audio/jfk.wav')))).to.deep.equal({ mimeType: 'audio/wav', extension: 'wav' });
    expect(sniffAudio(Buffer.concat([Buffer.from('OggS'), Buffer.alloc(20)]))?.mimeType).to.equal('audio/ogg');
    expect(sniffAudio(Buffer.concat([Buffer.from([0x1a, 0x45, 0xdf, 0xa3]), Buffer.alloc(20)]))?.mimeType).to.equal('audio/webm');
    expect(sniffAudio(Buffer.concat([Buffer.from([0, 0, 0, 0x20]), Buffer.from('ftypM4A '), Buffer.alloc(20)]))?.mimeType).to.equal('audio/mp4');
    expect(sniffAudio(fs.readFileSync(path.join(CORPUS, 'pdfs/minimal-hello-world.pdf')))).to.equal(null);
    expect(sniffAudio(Buffer.from('MZ\x90\x00 this is an executable'))).to.equal(null);
    expect(sniffAudio(Buffer.alloc(0))).to.equal(null);
  });

  it('recognises a PDF by its header, not by its name', () => {
    expect(looksLikePdf(fs.readFileSync(path.join(CORPUS, 'pdfs/minimal-hello-world.pdf')))).to.equal(true);
    expect(looksLikePdf(Buffer.concat([Buffer.from('junk before\n'), Buffer.from('%PDF-1.7\n')]))).to.equal(true);
    expect(looksLikePdf(crypto.randomBytes(4096).fill(0x20, 0, 8))).to.equal(false);
    expect(looksLikePdf(Buffer.alloc(0))).to.equal(false);
  });

  it('validates the basics with i18n keys and normalises the website', () => {
    const ok = parseInput(companySchema, { name: ' Boulangerie Martin ', activity: 'Pains au levain', website: 'www.boulangerie.fr', languages: 'fr' });
    expect(ok).to.deep.include({ name: 'Boulangerie Martin', website: 'https://www.boulangerie.fr', city: '', phone: '', email: '', languages: ['fr'] });
    const errors = fieldErrors(() => parseInput(companySchema, { name: '', activity: '', email: 'x@', phone: 'abc', website: 'ftp://x', languages: ['xx'] }));
    expect(errors).to.deep.equal({
      name: 'brand.onboarding.errors.nameRequired',
      activity: 'brand.onboarding.errors.activityRequired',
      email: 'brand.onboarding.errors.emailInvalid',
      phone: 'brand.onboarding.errors.phoneInvalid',
      website: 'brand.onboarding.errors.websiteInvalid',
      languages: 'brand.onboarding.errors.languageUnknown',
    });
    expect(fieldErrors(() => parseInput(companySchema, { name: 'A', activity: 'B' }))).to.deep.equal({ languages: 'brand.onboarding.errors.languagesRequired' });
  });

  it('accepts only http(s) website addresses', () => {
    expect(parseInput(websiteSchema, { url: 'exemple.fr/contact' }).url).to.equal('https://exemple.fr/contact');
    expect(fieldErrors(() => parseInput(websiteSchema, { url: 'javascript:alert(1)' }))).to.deep.equal({ url: 'brand.onboarding.errors.websiteInvalid' });
    expect(fieldErrors(() => parseInput(websiteSchema, { url: ' ' }))).to.deep.equal({ url: 'brand.onboarding.errors.urlRequired' });
    expect(normaliseWebsite('')).to.equal('');
  });

  it('writes the basics as a text input and cleans file names', () => {
    const text = companyText(
      { name: 'Boulangerie Martin', activity: 'Pains', city: 'Nantes', website: '', phone: '', email: '', languages: ['fr', 'en'] },
      (f) => f.toUpperCase(),
    );
    expect(text).to.equal('NAME: Boulangerie Martin\nACTIVITY: Pains\nCITY: Nantes\nLANGUAGES: fr, en');
    expect(cleanFilename('C:\\Users\\claire\\tarifs 2025.pdf', 'x.pdf')).to.equal('tarifs 2025.pdf');
    expect(cleanFilename('../../etc/passwd\u0000', 'x.pdf')).to.equal('passwd');
    expect(cleanFilename('', 'document.pdf')).to.equal('document.pdf');
  });
});
