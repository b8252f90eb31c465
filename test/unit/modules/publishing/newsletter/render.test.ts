import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { personalise, renderNewsletter, UNSUBSCRIBE_MARKER, type NewsletterRenderInput } from '../../../../../src/modules/publishing/newsletter/render.js';
import { CORPUS_DIR } from '../../../../support/corpus.js';

const payloads = fs.readFileSync(path.join(CORPUS_DIR, 'security/xss.txt'), 'utf8').split(/\r?\n/).filter(Boolean);

const labels = { reason: 'Vous recevez cet e-mail car vous êtes inscrit·e à la liste « Clients » de Boulangerie Martin.', unsubscribe: 'Se désinscrire' };

function render(overrides: Partial<NewsletterRenderInput> = {}) {
  return renderNewsletter({ subject: 'Nos nouveautés', preheader: 'Le pain de saison arrive', body: 'Bonjour', tenantName: 'Boulangerie Martin', locale: 'fr', labels, ...overrides });
}

const ALLOWED_TAGS = new Set(['!doctype', 'html', 'head', 'meta', 'title', 'body', 'div', 'table', 'tr', 'td', 'p', 'a', 'ul', 'li', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'strong', 'em']);
const ALLOWED_ATTRS = new Set(['lang', 'charset', 'name', 'content', 'style', 'role', 'width', 'cellpadding', 'cellspacing', 'border', 'align', 'href']);

/** Every tag of the output is one the renderer writes, with only its attributes; every href is http(s), mailto or the marker. */
function assertOnlyRendererMarkup(html: string): void {
  const withoutTags = html.replace(/<(\/?)(!?[a-zA-Z0-9]+)((?:\s+[a-zA-Z-]+(?:="[^"<>]*")?)*)\s*>/g, (_m, _close: string, tag: string, attrs: string) => {
    expect(ALLOWED_TAGS.has(tag.toLowerCase()), `tag <${tag}>`).to.equal(true);
    for (const [, name, value] of attrs.matchAll(/\s+([a-zA-Z-]+)(?:="([^"]*)")?/g)) {
      if (tag.toLowerCase() === '!doctype') continue;
      expect(ALLOWED_ATTRS.has(name.toLowerCase()), `attribute ${name} on <${tag}>`).to.equal(true);
      if (name === 'href') expect(value === UNSUBSCRIBE_MARKER || /^(https?:\/\/|mailto:)/i.test(value ?? ''), `href ${value}`).to.equal(true);
    }
    return '';
  });
  // nothing left that a browser would read as markup
  expect(withoutTags).to.not.match(/[<>]/);
}

describe('newsletter renderer', () => {
  it('renders a table-based 600px layout with the tenant name, inline styles, and no external resource nor script', () => {
    const { html } = render({ body: '## Au menu\n\nDu **pain** au levain, *bio*.\n\n- Baguette\n- Fougasse\n\n> Un mot du chef' });
    expect(html).to.match(/^<!DOCTYPE html>/);
    expect(html).to.include('<html lang="fr">');
    expect(html).to.include('max-width:600px');
    expect(html).to.include('role="presentation"');
    expect(html).to.include('>Boulangerie Martin</td>');
    expect(html).to.match(/<h2 style="[^"]+">Au menu<\/h2>/);
    expect(html).to.include('Du <strong>pain</strong> au levain, <em>bio</em>.');
    expect(html).to.match(/<ul [^>]+><li [^>]+>Baguette<\/li><li [^>]+>Fougasse<\/li><\/ul>/);
    expect(html).to.match(/<blockquote [^>]+>Un mot du chef<\/blockquote>/);
    expect(html).to.not.match(/<script|<style|<link|<img|src=|@import|url\(/i);
    assertOnlyRendererMarkup(html);
  });

  it('hides the preheader at the top of the body, escaped', () => {
    const { html } = render({ preheader: 'Promo <b>-20 %</b> & plus' });
    const hidden = /<body[^>]*>\s*<div style="display:none;[^"]*">([^<]*)<\/div>/.exec(html);
    expect(hidden, html.slice(0, 800)).to.not.equal(null);
    expect(hidden![1]).to.match(/^Promo &lt;b&gt;-20 %&lt;\/b&gt; &amp; plus/);
    expect(render({ preheader: '' }).html).to.not.include('display:none');
  });

  it('keeps links in the HTML and writes them as "text (url)" in the text version', () => {
    const body = 'Voir [notre carte](https://boulangerie.example/carte?x=1&y=2) ou https://boulangerie.example/horaires.\n\n- [Commander](mailto:contact@boulangerie.example)';
    const { html, text } = render({ body });
    expect(html).to.include('<a href="https://boulangerie.example/carte?x=1&amp;y=2"');
    expect(html).to.include('>notre carte</a>');
    expect(html).to.include('<a href="https://boulangerie.example/horaires"');
    expect(html).to.include('href="mailto:contact@boulangerie.example"');
    expect(text).to.include('Voir notre carte (https://boulangerie.example/carte?x=1&y=2) ou https://boulangerie.example/horaires.');
    expect(text).to.include('- Commander (mailto:contact@boulangerie.example)');
  });

  it('drops link targets that are not http(s) or mailto, and images', () => {
    const { html, text } = render({ body: 'Cliquez [ici](javascript:alert(1)) ![logo](https://tracker.example/p.gif) ou [là](data:text/html,<script>alert(1)</script>)' });
    expect(html).to.not.match(/href="(?:javascript|data):|tracker\.example/);
    expect(html).to.include('Cliquez ici');
    expect(text).to.not.match(/\(javascript:|tracker\.example/);
    assertOnlyRendererMarkup(html);
  });

  it('ends with the legal mention and an unsubscribe link, personalised per recipient', () => {
    const rendered = render({ body: 'Bonjour' });
    expect(rendered.html).to.include(labels.reason.replace('« Clients »', '« Clients »'));
    expect(rendered.html).to.include(`<a href="${UNSUBSCRIBE_MARKER}"`);
    expect(rendered.text).to.include(`${labels.reason}\nSe désinscrire : ${UNSUBSCRIBE_MARKER}`);
    const copy = personalise(rendered, 'https://app.cadence.example/u/abc_DEF-123?x=1&y=2');
    expect(copy.html).to.include('<a href="https://app.cadence.example/u/abc_DEF-123?x=1&amp;y=2"');
    expect(copy.text).to.include('Se désinscrire : https://app.cadence.example/u/abc_DEF-123?x=1&y=2');
    expect(copy.html + copy.text).to.not.include(UNSUBSCRIBE_MARKER);
  });

  it('writes the footer in the newsletter locale', () => {
    const { html, text } = render({ locale: 'en', labels: { reason: 'You are receiving this e-mail because…', unsubscribe: 'Unsubscribe' } });
    expect(html).to.include('<html lang="en">');
    expect(text).to.include(`Unsubscribe: ${UNSUBSCRIBE_MARKER}`);
  });

  it('does not let the body place the unsubscribe marker', () => {
    const { html, text } = render({ body: `[piège](${UNSUBSCRIBE_MARKER}) ${UNSUBSCRIBE_MARKER}`, subject: `S ${UNSUBSCRIBE_MARKER}` });
    expect(html.split(UNSUBSCRIBE_MARKER)).to.have.length(2);
    expect(text.split(UNSUBSCRIBE_MARKER)).to.have.length(2);
  });

  it(`escapes each of the ${payloads.length} corpus XSS payloads wherever text goes`, () => {
    expect(payloads.length).to.be.greaterThan(100);
    for (const payload of payloads) {
      const { html, text } = render({
        subject: payload,
        preheader: payload,
        tenantName: payload,
        body: `# ${payload}\n\n${payload}\n\n- ${payload}\n\n> ${payload}\n\n[${payload}](https://ok.example/)\n\n[x](${payload})`,
        labels: { reason: payload, unsubscribe: payload },
      });
      assertOnlyRendererMarkup(html);
      // whatever the payload, it is text: no tag, no attribute of its own
      expect(html).to.not.match(/<script/i);
      expect(text).to.be.a('string');
    }
  });
});
