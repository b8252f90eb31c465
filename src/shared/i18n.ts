import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import i18next, { type i18n, type Resource, type TFunction } from 'i18next';

export const LOCALES = ['fr', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'fr';

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

const localesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../locales');

/** Loads every `locales/<lng>/<namespace>.json` once; namespaces are the modules (`common`, `tenancy`, …). */
export function createI18n(): i18n {
  const resources: Resource = {};
  const namespaces = new Set<string>();
  for (const lng of LOCALES) {
    resources[lng] = {};
    for (const file of fs.readdirSync(path.join(localesDir, lng))) {
      if (!file.endsWith('.json')) continue;
      const ns = file.slice(0, -5);
      namespaces.add(ns);
      resources[lng][ns] = JSON.parse(fs.readFileSync(path.join(localesDir, lng, file), 'utf8'));
    }
  }
  const instance = i18next.createInstance();
  void instance.init({
    initAsync: false,
    resources,
    lng: DEFAULT_LOCALE,
    fallbackLng: DEFAULT_LOCALE,
    supportedLngs: [...LOCALES],
    ns: [...namespaces],
    defaultNS: 'common',
    // `module.key`: the first segment names the namespace, so error codes double as i18n keys.
    nsSeparator: '.',
    keySeparator: '.',
    interpolation: { escapeValue: false }, // Eta escapes output
    returnNull: false,
  });
  return instance;
}

export type Translate = TFunction;
