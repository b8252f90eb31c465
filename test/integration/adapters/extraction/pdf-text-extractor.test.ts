import crypto from 'node:crypto';
import fs from 'node:fs';
import { expect } from 'chai';
import { ExtractionError, type ExtractionFailure } from '../../../../src/adapters/extraction/extraction-error.js';
import { PdfTextExtractor } from '../../../../src/adapters/extraction/pdf-text-extractor.js';
import { CORPUS, buildPdf, corpusFile } from './support.js';

const pdf = (name: string) => corpusFile(`pdfs/${name}`);

async function failure(promise: Promise<unknown>): Promise<ExtractionError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(ExtractionError);
    return error as ExtractionError;
  }
  expect.fail('expected an ExtractionError');
}

async function expectFailure(promise: Promise<unknown>, reason: ExtractionFailure): Promise<ExtractionError> {
  const error = await failure(promise);
  expect(error.reason).to.equal(reason);
  expect(error.code).to.equal(`extraction.errors.${reason}`);
  expect(error.status).to.equal(422);
  return error;
}

describe('PdfTextExtractor (unpdf in a worker, real corpus)', function () {
  this.timeout(60_000);
  const extractor = new PdfTextExtractor();

  it('covers every PDF of the corpus', () => {
    const covered = [
      'minimal-hello-world.pdf',
      'fr-freebox-tv-documentation-12p.pdf',
      'naacl06-research-paper-8p.pdf',
      'us-copyright-office-dmca-summary-18p.pdf',
      'word-document1-pdfcreator.pdf',
      'encrypted-aes256-user-password-baz.pdf',
      'corrupted-flate-stream-zen-of-python.pdf',
      'scanned-jbig2-image-only-no-text.pdf',
    ];
    expect(fs.readdirSync(new URL('pdfs/', CORPUS)).sort()).to.deep.equal([...covered].sort());
  });

  it('reads the minimal hello world (the text layer says "hello world", lower case)', async () => {
    const result = await extractor.extract(pdf('minimal-hello-world.pdf'));
    expect(result.text).to.match(/^hello world$/i);
    expect(result.pages).to.equal(1);
    expect(result.truncated).to.equal(false);
    expect(result.failedPages).to.deep.equal([]);
  });

  it('reads the French Freebox documentation: 12 pages, accents intact, dot leaders shortened', async () => {
    const result = await extractor.extract(pdf('fr-freebox-tv-documentation-12p.pdf'));
    expect(result.pages).to.equal(12);
    expect(result.text).to.include('Documentation');
    expect(result.text).to.include('Table des matières');
    expect(result.text).to.include('Télésite');
    for (const word of [' les ', ' vous ', ' une ', ' pour ']) expect(result.text).to.include(word);
    expect(result.text).to.match(/[éèàçê]/);
    expect(result.text).not.to.match(/(?:\. ){5}/); // ". . . . ." leaders became " … "
    expect(result.text).not.to.match(/[ \t]{2,}|\n{3,}/);
  });

  it('reads the 8-page two-column paper and joins words hyphenated at line ends', async () => {
    const result = await extractor.extract(pdf('naacl06-research-paper-8p.pdf'));
    expect(result.pages).to.equal(8);
    expect(result.text).to.include('Preemptive Information Extraction using Unrestricted Relation Discovery');
    // "Ex-\nisting", "dis-\ncovers", "pat-\nterns" in the text layer.
    expect(result.text).to.include('Existing IE systems');
    expect(result.text).to.include('patterns');
    expect(result.text).not.to.match(/\bEx-\nisting/);
  });

  it('reads the 18-page DMCA summary although it carries an /Encrypt dictionary (empty user password)', async () => {
    const result = await extractor.extract(pdf('us-copyright-office-dmca-summary-18p.pdf'));
    expect(result.pages).to.equal(18);
    expect(result.title).to.equal('The Digital Millennium Copyright Act of 1998');
    expect(result.text).to.include('THE DIGITAL MILLENNIUM COPYRIGHT ACT OF 1998');
    expect(result.text).to.include('circumvention'); // "circumven-\ntion" joined
  });

  it('reads an office PDF and its metadata title', async () => {
    const result = await extractor.extract(pdf('word-document1-pdfcreator.pdf'));
    expect(result.pages).to.equal(1);
    expect(result.title).to.equal('Document1');
    expect(result.text).to.match(/^Document title\n/);
    expect(result.text).to.include('Lorem ipsum dolor sit amet');
  });

  it('refuses the AES-256 password-protected PDF as encrypted', async () => {
    await expectFailure(extractor.extract(pdf('encrypted-aes256-user-password-baz.pdf')), 'encrypted');
  });

  it('recovers the whole text of the PDF with a corrupted flate stream (pdf.js does better than pdfminer here)', async () => {
    // pdfminer recovers only the header line; pdf.js recovers the full page: the 19 aphorisms plus the a2ps header.
    const result = await extractor.extract(pdf('corrupted-flate-stream-zen-of-python.pdf'));
    expect(result.pages).to.equal(1);
    expect(result.failedPages).to.deep.equal([]);
    expect(result.title).to.equal('zen_of_python.txt');
    expect(result.text).to.match(/^Beautiful is better than ugly\.\n/);
    expect(result.text).to.include('Errors should never pass silently.');
    expect(result.text).to.include('Namespaces are one honking great idea');
    expect(result.text).to.include('zen_of_python.txt');
  });

  it('refuses the image-only JBIG2 scan as noText', async () => {
    await expectFailure(extractor.extract(pdf('scanned-jbig2-image-only-no-text.pdf')), 'noText');
  });

  it('refuses non-PDF bytes as notPdf before parsing: empty, executable, random, HTML', async () => {
    const exe = Buffer.concat([Buffer.from('MZ\x90\x00\x03\x00\x00\x00\x04\x00', 'latin1'), crypto.randomBytes(2048)]);
    for (const bytes of [Buffer.alloc(0), exe, crypto.randomBytes(4096), Buffer.from('<!doctype html><title>x</title>')]) {
      await expectFailure(extractor.extract(bytes), 'notPdf');
    }
  });

  it('reports a truncated file (a PDF cut short) as corrupt', async () => {
    await expectFailure(extractor.extract(pdf('word-document1-pdfcreator.pdf').subarray(0, 2_000)), 'corrupt');
  });

  it('tolerates junk before the %PDF- header, as readers do', async () => {
    const result = await extractor.extract(Buffer.concat([Buffer.from('junk\n'), pdf('minimal-hello-world.pdf')]));
    expect(result.text).to.equal('hello world');
  });

  it('caps the text and says so', async () => {
    const capped = new PdfTextExtractor({ maxChars: 1_000 });
    const result = await capped.extract(pdf('us-copyright-office-dmca-summary-18p.pdf'));
    expect(result.pages).to.equal(18);
    expect(result.truncated).to.equal(true);
    expect(result.text.length).to.be.at.most(1_000).and.at.least(900);
  });

  it('refuses more pages than the cap without reading them', async () => {
    await expectFailure(new PdfTextExtractor({ maxPages: 5 }).extract(pdf('naacl06-research-paper-8p.pdf')), 'tooManyPages');
    const many = buildPdf(201, 'BT /F1 12 Tf 72 720 Td (A page of text) Tj ET');
    const error = await expectFailure(extractor.extract(many), 'tooManyPages');
    expect(error.params).to.deep.include({ pages: 201, maxPages: 200 });
  });

  it('refuses inputs over the byte cap', async () => {
    await expectFailure(new PdfTextExtractor({ maxBytes: 1_000 }).extract(pdf('minimal-hello-world.pdf')), 'tooLarge');
  });

  it('stops a decompression bomb at the time budget while the event loop stays free', async () => {
    // ~60 KB on disk, 25 MB of page content once inflated: pdf.js would chew on it synchronously for seconds.
    const bomb = buildPdf(1, `BT /F1 12 Tf 72 720 Td ${'(Hello bomb) Tj 0 -1 Td\n'.repeat(1_000_000)}ET`, true);
    expect(bomb.length).to.be.below(200_000);
    let ticks = 0;
    const interval = setInterval(() => ticks++, 20);
    const started = Date.now();
    try {
      await expectFailure(new PdfTextExtractor({ timeoutMs: 800 }).extract(bomb), 'tooComplex');
    } finally {
      clearInterval(interval);
    }
    expect(Date.now() - started).to.be.below(3_000);
    expect(ticks).to.be.at.least(10);
  });

  it('runs several extractions at once within its concurrency', async () => {
    const limited = new PdfTextExtractor({ concurrency: 1 });
    const names = ['minimal-hello-world.pdf', 'word-document1-pdfcreator.pdf', 'fr-freebox-tv-documentation-12p.pdf'];
    const results = await Promise.all(names.map((name) => limited.extract(pdf(name))));
    expect(results.map((result) => result.pages)).to.deep.equal([1, 1, 12]);
  });
});
