import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { createI18n } from '../../../../src/shared/i18n.js';
import { FetchRefusedError, type FetchRefusal } from '../../../../src/shared/url-fetcher.js';

/** Every refusal, with the params the SafeFetcher passes for it (kept in step with the type by `satisfies`). */
const PARAMS = {
  invalidUrl: {},
  badScheme: { scheme: 'ftp' },
  forbiddenAddress: { host: '169.254.169.254' },
  dnsFailure: { host: 'boulangerie-martin.fr' },
  unreachable: { host: 'boulangerie-martin.fr' },
  timeout: { seconds: 10 },
  tooLarge: { megabytes: 5 },
  tooManyRedirects: { max: 5 },
  contentType: { contentType: 'application/pdf' },
  robots: { host: 'boulangerie-martin.fr' },
  httpStatus: { status: 404 },
} satisfies Record<FetchRefusal, Record<string, unknown>>;

const localesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../locales');

describe('fetch refusal messages (fr, en)', () => {
  const i18n = createI18n();

  it('has exactly one message per refusal in both languages', () => {
    for (const lng of ['fr', 'en']) {
      const file = JSON.parse(fs.readFileSync(path.join(localesDir, lng, 'fetch.json'), 'utf8')) as { errors: Record<string, string> };
      expect(Object.keys(file.errors).sort(), lng).to.deep.equal(Object.keys(PARAMS).sort());
    }
  });

  for (const [reason, params] of Object.entries(PARAMS) as [FetchRefusal, Record<string, unknown>][]) {
    it(`${reason}: the error code is the i18n key and every placeholder is filled`, () => {
      const error = new FetchRefusedError(reason, params);
      expect(error.code).to.equal(`fetch.errors.${reason}`);
      for (const lng of ['fr', 'en']) {
        expect(i18n.exists(error.code, { lng }), `${lng} ${error.code}`).to.equal(true);
        const message = i18n.t(error.code, { lng, ...error.params });
        expect(message, lng).not.to.equal(error.code);
        expect(message, lng).not.to.match(/\{\{|\}\}/);
        for (const value of Object.values(params)) expect(message, lng).to.include(String(value));
      }
    });
  }

  it('speaks to the user in French by default', () => {
    expect(i18n.t('fetch.errors.forbiddenAddress', { host: '10.0.0.1' })).to.match(/réseau privé.*Cadence ne peut pas la consulter/);
  });
});
