import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { CHANNEL_GUIDANCE_FACTS, CHANNEL_ISSUE_PROBLEMS, CHANNELS, channelGuidance, checkContent, type ContentInput } from '../../../../src/modules/studio/channels.js';
import { analyzeSeo, WEIGHTS, type SeoInput } from '../../../../src/modules/studio/seo/index.js';
import { createI18n, LOCALES } from '../../../../src/shared/i18n.js';
import { fullArticle, goodArticle, thinArticle } from './seo/fixtures.js';

/**
 * The studio's channel rules, guidance, SEO/GEO messages and analysis panel read their texts from
 * locales/<lng>/studio.json (sections channelRules, channelGuidance, seo, analysis): the one source of truth.
 * Every key the code or the panel can use must exist in French and English, and interpolate every parameter.
 */
const i18n = createI18n();
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const OWNED = ['channelRules', 'channelGuidance', 'seo', 'analysis'] as const;

function has(lng: string, key: string): boolean {
  return i18n.exists(key, { lng, fallbackLng: false }) || i18n.exists(key, { lng, fallbackLng: false, count: 2 });
}

function translated(lng: string, key: string, params: Record<string, unknown>): string {
  return i18n.getFixedT(lng)(key, { unit: 'u', ...params });
}

function expectComplete(key: string, params: Record<string, unknown> = {}): void {
  for (const lng of LOCALES) {
    expect(has(lng, key), `${lng}: ${key}`).to.equal(true);
    const text = translated(lng, key, params);
    expect(text, `${lng}: ${key}`).not.to.equal(key);
    expect(text, `${lng}: ${key} leaves a parameter`).not.to.match(/\{\{/);
  }
}

const a = (n: number) => 'a'.repeat(n);

/** Inputs that, together, raise every channel issue. */
const ISSUE_INPUTS: [string, ContentInput][] = [
  ['linkedin', { body: '' }],
  ['linkedin', { body: a(3001) }],
  ['x', { body: `${a(290)} #a #b #c` }],
  ['facebook', { body: `${a(600)} #un #deux #trois #quatre` }],
  ['instagram', { body: `${Array.from({ length: 31 }, (_, i) => `#t${i}`).join(' ')} ${Array.from({ length: 21 }, (_, i) => `@m${i}`).join(' ')} www.exemple.fr` }],
  ['instagram', { body: 'Voir https://a.fr et https://b.fr' }],
  ['google_business', { body: 'Appelez le 06 12 34 56 78 ou le 04 78 00 00 00 #pain https://a.fr' }],
  ['google_business', { body: 'Appelez le 06 12 34 56 78 #pain' }],
  ['blog', { title: '', body: 'Trop court.' }],
  ['blog', { title: a(80), body: 'Trop court.' }],
  ['newsletter', { body: 'x' }],
  ['newsletter', { subject: a(80), preheader: a(10), body: 'x'.repeat(110 * 1024) }],
  ['newsletter', { subject: 'Objet', preheader: a(200), body: 'x' }],
  ['sms', { body: 'Promo’ 😀 répondez STOP', senderName: null }],
  ['sms', { body: `${a(1600)}`, senderName: 'Boulangerie Martin' }],
  ['sms', { body: `Boulangerie Martin ${a(200)} STOP au 36111`, senderName: 'Boulangerie Martin' }],
];

describe('Studio locale files', () => {
  it('have the channel rules’, guidance’s, SEO’s and panel’s sections in French and English', () => {
    for (const lng of LOCALES) {
      const file = JSON.parse(fs.readFileSync(path.join(root, 'locales', lng, 'studio.json'), 'utf8'));
      for (const section of OWNED) expect(file[section], `${lng} ${section}`).to.be.an('object');
    }
  });

  it('hold the same keys in both languages (plural forms aside)', () => {
    const flat = (node: unknown, prefix = ''): string[] =>
      node && typeof node === 'object'
        ? Object.entries(node).flatMap(([k, v]) => flat(v, `${prefix}${k}.`))
        : [prefix.slice(0, -1).replace(/_(zero|one|two|few|many|other)$/, '')];
    const keysOf = (lng: string) => {
      const file = JSON.parse(fs.readFileSync(path.join(root, 'locales', lng, 'studio.json'), 'utf8'));
      return [...new Set(OWNED.flatMap((s) => flat(file[s], `${s}.`)))].sort();
    };
    expect(keysOf('en')).to.deep.equal(keysOf('fr'));
  });

  it('translate every channel issue the rules declare, and every one they raise with its parameters', () => {
    for (const problem of CHANNEL_ISSUE_PROBLEMS) {
      for (const lng of LOCALES) expect(has(lng, `studio.channelRules.${problem}`), `${lng} ${problem}`).to.equal(true);
    }
    expectComplete('studio.channelRules.unknownChannel', { channel: 'fax' });
    const raised = new Set<string>();
    for (const [channel, input] of ISSUE_INPUTS) {
      for (const issue of checkContent(channel, input).issues) {
        raised.add(issue.code);
        expectComplete(issue.code, issue.params);
        // A count of one and of several both have their form.
        if ('count' in issue.params) for (const count of [1, 3]) expectComplete(issue.code, { ...issue.params, count });
      }
    }
    expect([...raised].sort()).to.deep.equal(CHANNEL_ISSUE_PROBLEMS.map((p) => `studio.channelRules.${p}`).sort());
  });

  it('translate every guidance note of every channel with its parameters', () => {
    const seen = new Set<string>();
    for (const channel of CHANNELS) {
      for (const note of channelGuidance(channel).notes) {
        seen.add(note.key);
        expectComplete(note.key, note.params);
      }
    }
    expect([...seen].sort()).to.deep.equal(CHANNEL_GUIDANCE_FACTS.map((f) => `studio.channelGuidance.${f}`).sort());
  });

  it('translate every label, fix, skip reason, heading issue and reading level the SEO/GEO analyser emits', () => {
    const inputs: SeoInput[] = [
      fullArticle,
      goodArticle,
      thinArticle,
      { ...thinArticle, title: '', targetKeyword: undefined, business: undefined, ownPages: [], slug: 'Bad Slug', metaDescription: 'x'.repeat(200) },
      { ...thinArticle, title: 'Un titre beaucoup trop long pour tenir dans les résultats de Google, vraiment', slug: 'nouveautes', metaDescription: 'Court.' },
      { ...goodArticle, business: { name: 'Maison Dupuis', city: '' }, targetKeyword: 'croissant' },
      { ...goodArticle, channel: 'sms' },
      { ...goodArticle, channel: 'linkedin', ownPages: [], business: { name: 'Boulangerie Martin', city: 'Lyon' } },
      { ...goodArticle, locale: 'en', body: `# A\n\n# B\n\n## \n\n${'In this article we talk. '.repeat(100)}` },
      { ...goodArticle, body: goodArticle.body.replace('Le levain réduit ce gaspillage.', 'Pain au levain, pain au levain, pain au levain, pain au levain, pain au levain, pain au levain, pain au levain, pain au levain, pain au levain, pain au levain.') },
    ];
    const keys = new Set<string>();
    for (const input of inputs) {
      const r = analyzeSeo(input);
      for (const b of r.breakdown) {
        keys.add(b.label);
        expectComplete(b.label);
        if (b.fix) {
          keys.add(b.fix.code);
          expectComplete(b.fix.code, b.fix.params);
        }
      }
      for (const s of r.skipped) expectComplete(s.reason, s.params);
      for (const i of r.headings.issues) expectComplete(i.code, i.params);
      expectComplete(r.readability.label);
    }
    for (const key of [...Object.keys(WEIGHTS), 'keywordStuffing']) expectComplete(`studio.seo.checks.${key}`);
    for (const level of ['veryEasy', 'easy', 'fairlyEasy', 'standard', 'fairlyDifficult', 'difficult', 'veryDifficult']) {
      expectComplete(`studio.seo.readability.levels.${level}`);
    }
    expect(keys.size).to.be.greaterThan(40);
  });

  it('have every key the analysis panel and its route use', () => {
    const sources = [
      ...fs.readdirSync(path.join(root, 'views/studio')).filter((f) => f.startsWith('_analysis')).map((f) => path.join(root, 'views/studio', f)),
      path.join(root, 'src/modules/studio/seo-routes.ts'),
    ];
    const literal = new Set<string>();
    for (const file of sources) {
      for (const m of fs.readFileSync(file, 'utf8').matchAll(/'(studio\.[A-Za-z0-9_.]*[A-Za-z0-9_])'/g)) literal.add(m[1]);
    }
    expect(literal.size).to.be.greaterThan(60);
    const dynamic = [
      ...CHANNELS.map((c) => `studio.channels.${c}`),
      ...['chars', 'weighted_chars', 'sms_units_gsm7', 'sms_units_ucs2', 'words'].map((u) => `studio.analysis.units.${u}`),
      ...['error', 'warning'].map((s) => `studio.analysis.severity.${s}`),
      ...['gsm7', 'ucs2'].map((e) => `studio.analysis.sms.encodings.${e}`),
      ...['seo', 'geo'].flatMap((g) => [`studio.analysis.seo.${g}Score`, `studio.seo.groups.${g}`]),
      ...['title', 'metaDescription', 'slug'].map((f) => `studio.analysis.seo.fields.${f}`),
      ...['channel', 'locale', 'title', 'body', 'targetKeyword', 'metaDescription', 'slug', 'subject', 'preheader'].map((f) => `studio.analysis.fieldNames.${f}`),
    ];
    // Prefixes completed in code (`studio.analysis.units.sms_units_` + encoding) are covered by the list above.
    for (const key of [...literal].filter((k) => !k.endsWith('_'))) for (const lng of LOCALES) expect(has(lng, key), `${lng}: ${key}`).to.equal(true);
    for (const key of dynamic) for (const lng of LOCALES) expect(has(lng, key), `${lng}: ${key}`).to.equal(true);
  });
});
