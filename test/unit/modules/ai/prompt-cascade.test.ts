import { expect } from 'chai';
import fc from 'fast-check';
import {
  canonicalJson,
  isAppend,
  isPlainObject,
  isRemoval,
  localeChain,
  mergeDocuments,
  mergeLayers,
  nestAtKey,
  renderSystemPrompt,
  resolveCascade,
  snapshotRefOf,
  validateLayerValue,
  type Json,
  type JsonObject,
  type Layer,
  type PromptLayerRow,
  type PromptLevel,
} from '../../../../src/modules/ai/prompt-cascade.js';

// ---------------------------------------------------------------------------------------------------------
// Helpers and a reference model

const KEYS = ['a', 'b', 'c', 'd', 'e'] as const;

function getPath(doc: Json, path: readonly string[]): Json | undefined {
  let node: Json | undefined = doc;
  for (const segment of path) {
    if (!isPlainObject(node) || !Object.hasOwn(node, segment)) return undefined;
    node = node[segment];
  }
  return node;
}

/** Leaf paths (scalars and arrays) of an operator-free document. */
function leafPaths(doc: JsonObject, prefix: string[] = []): string[][] {
  return Object.entries(doc).flatMap(([k, v]) => (isPlainObject(v) ? leafPaths(v, [...prefix, k]) : [[...prefix, k]]));
}

/** The textbook deep merge, for documents without operators: the oracle of the merge. */
function referenceMerge(base: JsonObject, over: JsonObject): JsonObject {
  const out: JsonObject = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = isPlainObject(v) ? referenceMerge(isPlainObject(out[k]) ? (out[k] as JsonObject) : {}, v) : v;
  }
  return out;
}

/** An object the merge descends into (not an operator). */
const isMergedObject = (v: Json): boolean => isPlainObject(v) && !isRemoval(v) && !isAppend(v);

const layersOf = (docs: JsonObject[]): Layer<number>[] => docs.map((document, i) => ({ source: i, document }));

// ---------------------------------------------------------------------------------------------------------
// Arbitraries: small key space, so layers overlap often

const key = fc.constantFrom(...KEYS);
const scalar = fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.boolean());
const leaf: fc.Arbitrary<Json> = fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }));

/** Documents without operators (no null, no `$` keys). */
const plainDoc: fc.Arbitrary<JsonObject> = fc.letrec<{ doc: JsonObject; value: Json }>((tie) => ({
  doc: fc.dictionary(key, tie('value'), { maxKeys: 4 }),
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, leaf, tie('doc')),
})).doc;

/** Documents that may use every operator: null, `{ $unset: true }`, `{ $append: [...] }`. */
const opDoc: fc.Arbitrary<JsonObject> = fc.letrec<{ doc: JsonObject; value: Json }>((tie) => ({
  doc: fc.dictionary(key, tie('value'), { maxKeys: 4 }),
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    tie('doc'),
    fc.constant(null),
    fc.constant({ $unset: true }),
    fc.array(scalar, { maxLength: 3 }).map((items) => ({ $append: items })),
  ),
})).doc;

const path = fc.array(key, { minLength: 1, maxLength: 3 });

// ---------------------------------------------------------------------------------------------------------

describe('prompt cascade: the merge (properties)', () => {
  it('merging with an empty layer, before or after, is the identity (document and provenance)', () => {
    fc.assert(
      fc.property(fc.array(opDoc, { maxLength: 4 }), fc.nat(4), (docs, at) => {
        const plain = mergeLayers(layersOf(docs));
        const layers: Layer<number | string>[] = layersOf(docs);
        layers.splice(Math.min(at, layers.length), 0, { source: 'empty', document: {} });
        const withEmpty = mergeLayers(layers);
        expect(withEmpty.document).to.deep.equal(plain.document);
        expect(withEmpty.provenance).to.deep.equal(plain.provenance);
      }),
    );
  });

  it('one operator-free layer resolves to itself, each leaf set by that layer', () => {
    fc.assert(
      fc.property(plainDoc, (doc) => {
        const result = mergeLayers([{ source: 'only', document: doc }]);
        expect(result.document).to.deep.equal(doc);
        expect(Object.keys(result.provenance).sort()).to.deep.equal(leafPaths(doc).map((p) => p.join('.')).sort());
        for (const leafProvenance of Object.values(result.provenance)) expect(leafProvenance.source).to.equal('only');
      }),
    );
  });

  it('without operators, the result is the textbook deep merge (objects merge, everything else replaces)', () => {
    fc.assert(
      fc.property(fc.array(plainDoc, { maxLength: 5 }), (docs) => {
        expect(mergeLayers(layersOf(docs)).document).to.deep.equal(docs.reduce(referenceMerge, {}));
      }),
    );
  });

  it('every key of the highest layer that defines it holds that layer’s value, and provenance names that layer', () => {
    fc.assert(
      fc.property(fc.array(plainDoc, { minLength: 1, maxLength: 5 }), (docs) => {
        const result = mergeLayers(layersOf(docs));
        // the top layer's leaves are all there, as it set them
        const top = docs.length - 1;
        for (const p of leafPaths(docs[top])) {
          expect(getPath(result.document, p)).to.deep.equal(getPath(docs[top], p));
          expect(result.provenance[p.join('.')].source).to.equal(top);
        }
        // every leaf of the result comes from the highest layer that defines that path
        for (const [dotted, leafProvenance] of Object.entries(result.provenance)) {
          const p = dotted.split('.');
          const highest = Math.max(...docs.map((d, i) => (getPath(d, p) === undefined ? -1 : i)));
          expect(leafProvenance.source).to.equal(highest);
          expect(leafProvenance.value).to.deep.equal(getPath(docs[highest], p));
          expect(getPath(result.document, p)).to.deep.equal(leafProvenance.value);
        }
      }),
    );
  });

  it('a key defined only at the lowest (platform) level is inherited unchanged', () => {
    fc.assert(
      fc.property(plainDoc, fc.array(opDoc, { maxLength: 4 }), (platform, higher) => {
        const result = mergeLayers(layersOf([platform, ...higher]));
        for (const p of leafPaths(platform)) {
          // no higher layer says anything at p or at any prefix of p
          const touched = higher.some((d) =>
            p.some((_, i) => {
              const at = getPath(d, p.slice(0, i + 1));
              return at !== undefined && (i === p.length - 1 || !isMergedObject(at));
            }),
          );
          if (touched) continue;
          expect(getPath(result.document, p)).to.deep.equal(getPath(platform, p));
          expect(result.provenance[p.join('.')].source).to.equal(0);
          expect(result.provenance[p.join('.')].overridden).to.deep.equal([]);
        }
      }),
    );
  });

  it('provenance lists exactly the leaves of the document, with their values', () => {
    fc.assert(
      fc.property(fc.array(opDoc, { maxLength: 5 }), (docs) => {
        const result = mergeLayers(layersOf(docs));
        expect(Object.keys(result.provenance).sort()).to.deep.equal(leafPaths(result.document).map((p) => p.join('.')).sort());
        for (const [dotted, leafProvenance] of Object.entries(result.provenance)) {
          expect(getPath(result.document, dotted.split('.'))).to.deep.equal(leafProvenance.value);
          expect(leafProvenance.contributors.at(-1)).to.equal(leafProvenance.source);
        }
      }),
    );
  });

  it('null and { $unset: true } remove the inherited key and everything under it, and nothing else', () => {
    fc.assert(
      fc.property(fc.array(opDoc, { maxLength: 4 }), path, fc.constantFrom<Json>(null, { $unset: true }), (docs, p, removal) => {
        const before = mergeLayers(layersOf(docs));
        const after = mergeLayers([...layersOf(docs), { source: 99, document: nestAtKey(p.join('.'), removal) }]);
        expect(getPath(after.document, p)).to.equal(undefined);
        const dotted = p.join('.');
        for (const k of Object.keys(after.provenance)) expect(k === dotted || k.startsWith(`${dotted}.`)).to.equal(false);
        // leaves outside the removed subtree are untouched
        for (const [k, leafProvenance] of Object.entries(before.provenance)) {
          if (k === dotted || k.startsWith(`${dotted}.`)) {
            expect(after.removed.map((r) => r.key)).to.include(k);
            expect(after.removed.find((r) => r.key === k)!.removedBy).to.equal(99);
          } else {
            expect(after.provenance[k]).to.deep.equal(leafProvenance);
          }
        }
      }),
    );
  });

  it('arrays replace by default; { $append } appends to the inherited array (or starts one)', () => {
    fc.assert(
      fc.property(
        fc.array(opDoc, { maxLength: 3 }),
        path,
        fc.array(scalar, { maxLength: 4 }),
        fc.array(scalar, { maxLength: 4 }),
        fc.boolean(),
        (docs, p, first, second, append) => {
          const dotted = p.join('.');
          const layers = [...layersOf(docs), { source: 10, document: nestAtKey(dotted, first) }, { source: 11, document: nestAtKey(dotted, append ? { $append: second } : second) }];
          const result = mergeLayers(layers);
          expect(getPath(result.document, p)).to.deep.equal(append ? [...first, ...second] : second);
          expect(result.provenance[dotted].source).to.equal(11);
          expect(result.provenance[dotted].contributors).to.deep.equal(append ? [10, 11] : [11]);
          if (!append) expect(result.provenance[dotted].overridden[0]).to.deep.equal({ value: first, source: 10 });
        },
      ),
    );
    // appending where nothing (or a scalar) was inherited starts the list
    expect(mergeDocuments({}, { a: { $append: [1] } })).to.deep.equal({ a: [1] });
    expect(mergeDocuments({ a: 'x' }, { a: { $append: [1] } })).to.deep.equal({ a: [1] });
  });

  it('merging is a left fold: the merged document of a prefix can stand in for that prefix', () => {
    fc.assert(
      fc.property(fc.array(opDoc, { maxLength: 4 }), fc.array(opDoc, { maxLength: 4 }), (lower, higher) => {
        const whole = mergeLayers(layersOf([...lower, ...higher])).document;
        const folded = mergeLayers(layersOf([mergeLayers(layersOf(lower)).document, ...higher])).document;
        expect(folded).to.deep.equal(whole);
      }),
    );
  });

  it('re-applying an operator-free layer changes nothing (idempotence)', () => {
    fc.assert(
      fc.property(fc.array(opDoc, { maxLength: 3 }), plainDoc, (docs, again) => {
        const once = mergeLayers(layersOf([...docs, again])).document;
        const twice = mergeLayers(layersOf([...docs, again, again])).document;
        expect(twice).to.deep.equal(once);
      }),
    );
  });

  it('never mutates its inputs', () => {
    fc.assert(
      fc.property(fc.array(opDoc, { maxLength: 4 }), (docs) => {
        const copy = structuredClone(docs);
        const result = mergeLayers(layersOf(docs));
        expect(docs).to.deep.equal(copy);
        // and the result shares nothing with them
        for (const leafProvenance of Object.values(result.provenance)) if (Array.isArray(leafProvenance.value)) leafProvenance.value.push('mutated');
        expect(docs).to.deep.equal(copy);
      }),
    );
  });
});

describe('prompt cascade: the merge (examples)', () => {
  const platform = { system: { role: 'P role', language: 'P lang' }, safety: { rules: ['r1', 'r2'] }, style: { defaults: 'P style' } };

  it('overrides only what a layer defines, keeps the rest, and records what was overridden', () => {
    const result = mergeLayers([
      { source: 'platform', document: platform },
      { source: 'distributor', document: { system: { role: 'D role' }, safety: { rules: { $append: ['r3'] } } } },
      { source: 'tenant', document: { system: { role: 'T role' }, style: null } },
    ]);
    expect(result.document).to.deep.equal({ system: { role: 'T role', language: 'P lang' }, safety: { rules: ['r1', 'r2', 'r3'] } });
    expect(result.provenance['system.role'].source).to.equal('tenant');
    expect(result.provenance['system.role'].overridden).to.deep.equal([
      { value: 'D role', source: 'distributor' },
      { value: 'P role', source: 'platform' },
    ]);
    expect(result.provenance['system.language'].source).to.equal('platform');
    expect(result.provenance['safety.rules'].contributors).to.deep.equal(['platform', 'distributor']);
    expect(result.removed).to.deep.equal([{ key: 'style.defaults', path: ['style', 'defaults'], value: 'P style', source: 'platform', removedBy: 'tenant' }]);
  });

  it('an object replaces a scalar (and the scalar is reported as removed); a key can be set again after removal', () => {
    const result = mergeLayers([
      { source: 1, document: { a: 'text', b: 'x' } },
      { source: 2, document: { a: { nested: true }, b: null } },
      { source: 3, document: { b: 'again' } },
    ]);
    expect(result.document).to.deep.equal({ a: { nested: true }, b: 'again' });
    expect(result.removed.map((r) => r.key)).to.deep.equal(['a']);
    expect(result.provenance.b.overridden).to.deep.equal([]);
  });

  it('removing something absent creates nothing', () => {
    expect(mergeDocuments({ a: 'x' }, { a: { b: null }, c: { d: { $unset: true } } })).to.deep.equal({ a: 'x' });
    expect(mergeDocuments({}, { a: {} })).to.deep.equal({ a: {} });
  });

  it('keeps keys such as __proto__ as plain data', () => {
    const doc = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as JsonObject;
    const result = mergeDocuments(doc);
    expect(Object.keys(result)).to.deep.equal(['__proto__', 'a']);
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
  });

  it('validateLayerValue flags unknown operators and malformed keys; the merge treats them as plain keys', () => {
    expect(validateLayerValue({ rules: { $append: ['x'] }, style: { $unset: true }, tone: null })).to.deep.equal([]);
    expect(validateLayerValue({ rules: { $push: ['x'] }, 'Bad.Key': 1 })).to.have.length(2);
    expect(mergeDocuments({ a: ['x'] }, { a: { $push: ['y'] } })).to.deep.equal({ a: { $push: ['y'] } });
  });
});

// ---------------------------------------------------------------------------------------------------------

let seq = 0;
function row(level: PromptLevel, locale: string, key: string, value: Json, version = 1): PromptLayerRow {
  seq += 1;
  return { id: `00000000-0000-0000-0000-${String(seq).padStart(12, '0')}`, level, locale, key, value, version };
}

describe('prompt cascade: levels, locales and rows', () => {
  it('localeChain falls back to the language, then to the default locale', () => {
    expect(localeChain('fr')).to.deep.equal(['fr']);
    expect(localeChain('en')).to.deep.equal(['en', 'fr']);
    expect(localeChain('fr-BE')).to.deep.equal(['fr-BE', 'fr']);
    expect(localeChain('en-GB')).to.deep.equal(['en-GB', 'en', 'fr']);
  });

  it('per level, a key missing in the requested locale comes from the default locale, before the next level applies', () => {
    const rows = [
      row('platform', 'fr', 'system.role', 'rôle plateforme'),
      row('platform', 'en', 'system.role', 'platform role'),
      row('platform', 'fr', 'system.language', 'langue plateforme'), // no en row: falls back to fr
      row('distributor', 'fr', 'style.defaults', 'style distributeur'), // fr only, overrides nothing in en
      row('platform', 'en', 'style.defaults', 'platform style'),
      row('tenant', 'en', 'safety.rules', ['tenant rule']),
      row('tenant', 'de', 'system.role', 'ignored: not in the chain'),
    ];
    const en = resolveCascade(rows, { locale: 'en' });
    expect(en.document).to.deep.equal({
      system: { role: 'platform role', language: 'langue plateforme' },
      style: { defaults: 'style distributeur' },
      safety: { rules: ['tenant rule'] },
    });
    expect(en.provenance['system.language'].source).to.include({ level: 'platform', locale: 'fr' });
    expect(en.provenance['style.defaults'].source).to.include({ level: 'distributor', locale: 'fr' });
    expect(en.provenance['style.defaults'].overridden.map((o) => o.source.locale)).to.deep.equal(['en']);
    expect(en.localeChain).to.deep.equal(['en', 'fr']);
    expect(en.layers.map((l) => `${l.level}/${l.locale}`)).to.deep.equal([
      'platform/fr',
      'platform/fr',
      'platform/en',
      'platform/en',
      'distributor/fr',
      'tenant/en',
    ]);
    const fr = resolveCascade(rows, { locale: 'fr' });
    expect(fr.document.system).to.deep.equal({ role: 'rôle plateforme', language: 'langue plateforme' });
    expect(fr.document).not.to.have.property('safety');
  });

  it('the value of every key is the highest level’s, in the most specific locale that level has (property)', () => {
    const levels: PromptLevel[] = ['platform', 'distributor', 'tenant'];
    const cell = fc.record({ level: fc.constantFrom(...levels), locale: fc.constantFrom('fr', 'en', 'fr-BE'), key: fc.constantFrom('k1', 'k2', 'k3', 'k4') });
    fc.assert(
      fc.property(fc.uniqueArray(cell, { selector: (c) => `${c.level}/${c.locale}/${c.key}`, maxLength: 20 }), fc.constantFrom('fr', 'en', 'fr-BE'), (cells, locale) => {
        const rows = cells.map((c) => row(c.level, c.locale, `group.${c.key}`, `${c.level}/${c.locale}`));
        const chain = localeChain(locale);
        const result = resolveCascade(rows, { locale });
        for (const k of ['k1', 'k2', 'k3', 'k4']) {
          const candidates = cells.filter((c) => c.key === k && chain.includes(c.locale));
          const got = result.provenance[`group.${k}`];
          if (candidates.length === 0) {
            expect(got).to.equal(undefined);
            continue;
          }
          const level = levels[Math.max(...candidates.map((c) => levels.indexOf(c.level)))];
          const atLevel: string[] = candidates.filter((c) => c.level === level).map((c) => c.locale);
          const best = chain.find((l) => atLevel.includes(l));
          expect(got.value).to.equal(`${level}/${best}`);
          expect(got.source).to.include({ level, locale: best });
        }
      }),
    );
  });

  it('within one level and locale a longer key refines a shorter one', () => {
    const result = resolveCascade(
      [row('tenant', 'fr', 'channels.linkedin.guidance', 'précis'), row('tenant', 'fr', 'channels.linkedin', { guidance: 'large', format: 'court' })],
      { locale: 'fr' },
    );
    expect(result.document).to.deep.equal({ channels: { linkedin: { guidance: 'précis', format: 'court' } } });
    expect(result.provenance['channels.linkedin.format'].source.key).to.equal('channels.linkedin');
  });

  it('of several versions of one key, the highest wins', () => {
    const result = resolveCascade([row('platform', 'fr', 'system.role', 'v1', 1), row('platform', 'fr', 'system.role', 'v3', 3), row('platform', 'fr', 'system.role', 'v2', 2)], {
      locale: 'fr',
    });
    expect(result.document).to.deep.equal({ system: { role: 'v3' } });
    expect(result.provenance['system.role'].source.version).to.equal(3);
    expect(result.layers).to.have.length(1);
  });

  it('snapshotRef depends on the rows used (ids, versions, values), not on their order', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ key: fc.constantFrom('a', 'b', 'c', 'd'), value: leaf }), { minLength: 1, maxLength: 6 }), fc.nat(), (specs, seed) => {
        const rows = specs.map((s) => row('platform', 'fr', s.key, s.value));
        const shuffled = [...rows].sort((x, y) => ((x.id.charCodeAt(35) * (seed + 7)) % 13) - ((y.id.charCodeAt(35) * (seed + 7)) % 13));
        const ref = resolveCascade(rows, { locale: 'fr' }).snapshotRef;
        expect(ref).to.match(/^pl1:[0-9a-f]{64}$/);
        expect(resolveCascade(shuffled, { locale: 'fr' }).snapshotRef).to.equal(ref);
        expect(ref.length).to.be.at.most(128);
      }),
    );
    const base = [row('platform', 'fr', 'a', 'x')];
    const ref = snapshotRefOf(base);
    expect(snapshotRefOf([{ ...base[0], version: 2 }])).not.to.equal(ref);
    expect(snapshotRefOf([{ ...base[0], value: 'y' }])).not.to.equal(ref);
    expect(snapshotRefOf([{ ...base[0], id: '00000000-0000-0000-0000-999999999999' }])).not.to.equal(ref);
    // jsonb does not keep key order: equal objects hash alike
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] })).to.equal(canonicalJson({ a: [{ c: 3, d: 2 }], b: 1 }));
  });
});

describe('prompt cascade: rendering the system prompt', () => {
  const document: JsonObject = {
    system: { role: 'ROLE', language: 'LANGUAGE', output_rules: ['out 1', 'out 2'], persona: 'EXTRA SYSTEM' },
    safety: { rules: ['rule 1', 'rule 2'], uncertain_facts: 'UNCERTAIN', local_law: 'EXTRA SAFETY' },
    style: { defaults: 'STYLE' },
    seo: { geo_principles: ['geo 1'] },
    channels: { linkedin: { guidance: 'LI GUIDANCE', format: 'LI FORMAT' }, sms: { guidance: 'SMS' } },
  };

  it('generation: stable prefix in a fixed order, channel guidance in the variable part', () => {
    const fr = renderSystemPrompt(document, { task: 'generation', channel: 'linkedin', locale: 'fr' });
    expect(fr.stable).to.equal(
      [
        'ROLE',
        'LANGUAGE',
        'EXTRA SYSTEM',
        'Règles de sécurité de marque :\n- rule 1\n- rule 2',
        'UNCERTAIN',
        'EXTRA SAFETY',
        'Style :\nSTYLE',
        'Référencement naturel (SEO) et moteurs génératifs (GEO) :\n- geo 1',
        'Règles de sortie :\n- out 1\n- out 2',
      ].join('\n\n'),
    );
    expect(fr.variable).to.equal("Canal : linkedin\n\nConsignes d'écriture pour ce canal :\nLI GUIDANCE\n\nFormat et limites :\nLI FORMAT");
    expect(fr.keys).to.include.members(['system.role', 'safety.rules', 'channels.linkedin.format']);
    expect(fr.keys).not.to.include('channels.sms.guidance');
    const en = renderSystemPrompt(document, { task: 'generation', channel: 'linkedin', locale: 'en-GB' });
    expect(en.stable).to.include('Brand safety rules:\n- rule 1');
    // the stable part does not depend on the channel (prompt caching)
    expect(renderSystemPrompt(document, { task: 'generation', channel: 'sms' }).stable).to.equal(fr.stable);
  });

  it('other tasks take fewer sections; tasks without a system prompt get none', () => {
    expect(renderSystemPrompt(document, { task: 'moderation' }).stable).to.equal('Règles de sécurité de marque :\n- rule 1\n- rule 2\n\nUNCERTAIN\n\nEXTRA SAFETY');
    const seo = renderSystemPrompt(document, { task: 'seo_analysis', channel: 'linkedin' });
    expect(seo.stable.startsWith('LANGUAGE\n\n')).to.equal(true);
    expect(seo.stable).not.to.include('ROLE');
    expect(seo.variable).to.equal('');
    expect(renderSystemPrompt(document, { task: 'embeddings' })).to.deep.equal({ stable: '', variable: '', keys: [] });
    expect(renderSystemPrompt({}, { task: 'generation', channel: 'blog' })).to.deep.equal({ stable: '', variable: '', keys: [] });
  });
});
