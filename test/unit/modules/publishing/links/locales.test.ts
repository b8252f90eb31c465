import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { CHANNELS } from '../../../../../src/modules/studio/channels.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../..');
const read = (lng: string) => JSON.parse(fs.readFileSync(path.join(root, 'locales', lng, 'links.json'), 'utf8')) as Record<string, unknown>;

function keys(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null) return [prefix];
  return Object.entries(value).flatMap(([k, v]) => keys(v, prefix ? `${prefix}.${k}` : k));
}

describe('Links: locales', () => {
  it('has the same keys in French and English, a name for every channel and the error codes the redirect uses', () => {
    const fr = read('fr');
    const en = read('en');
    expect(keys(en).sort()).to.deep.equal(keys(fr).sort());
    for (const channel of CHANNELS) expect(keys(fr), channel).to.include(`channels.${channel}`);
    expect(keys(fr)).to.include.members(['errors.notFound', 'errors.inactive']);
  });
});
