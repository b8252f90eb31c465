import type { Translate } from '../../shared/i18n.js';
import { ITEM_KEYS, MANUAL_SOURCE, sourcesFor, type ChannelUse, type Competitor, type DnaSources, type Offer, type Persona } from './domain.js';
import type { DnaChange } from './dna-diff.js';

const ROW_LABELS: Record<string, string> = { offers: 'offerN', audiences: 'audienceN', competitors: 'competitorN' };

export interface InputLabel {
  kind: string;
  name: string | null;
}

/** Presentation helpers handed to the DNA views (labels, prices, provenance, values of a diff). */
export function dnaViewHelpers(t: Translate, locale: string, inputs: Map<string, InputLabel> = new Map()) {
  const sectionLabel = (section: string): string => t(`brand.dna.sections.${section}`);
  const fieldLabel = (path: string): string => {
    const parts = path.split('.');
    if (parts.length === 1) return sectionLabel(parts[0]);
    if (path === 'seo.localZone') return t('brand.dna.fields.seo.localZone.title');
    return t(`brand.dna.fields.${path}`);
  };
  /** "Identité › Mission", or the section alone for a list of items. */
  const fullLabel = (path: string): string => {
    const parts = path.split('.');
    return parts.length === 1 ? sectionLabel(parts[0]) : `${sectionLabel(parts[0])} › ${fieldLabel(path)}`;
  };
  const channelLabel = (channel: string): string => t(`brand.dna.channelNames.${channel}`, { defaultValue: channel });
  const price = (p: Offer['price']): string => {
    if (!p) return '';
    let amount: string;
    try {
      amount = new Intl.NumberFormat(locale, { style: 'currency', currency: p.currency }).format(p.amountCents / 100);
    } catch {
      amount = `${(p.amountCents / 100).toFixed(2)} ${p.currency}`;
    }
    return p.unit ? `${amount} / ${p.unit}` : amount;
  };
  const inputLabel = (id: string): string => {
    if (id === MANUAL_SOURCE) return t('brand.dna.sources.manual');
    const input = inputs.get(id);
    if (!input) return t('brand.dna.sources.unknownInput');
    const kind = t(`brand.dna.inputKinds.${input.kind}`, { defaultValue: input.kind });
    return input.name ? `${kind} (${input.name})` : kind;
  };
  /** Provenance of a field, as labels (empty when unknown). */
  const sources = (all: DnaSources, path: string): string[] => [...new Set(sourcesFor(all, path).map(inputLabel))];
  /** Everything a section came from: its own sources and those of its fields (an edited field is `manual`). */
  const sectionSources = (all: DnaSources, section: string): string[] => {
    const ids = Object.entries(all)
      .filter(([path]) => path === section || path.startsWith(`${section}.`))
      .flatMap(([, list]) => list);
    return [...new Set(ids.map(inputLabel))];
  };

  const offer = (o: Offer): string => [o.name, o.description, price(o.price), o.url].filter(Boolean).join(' — ');
  const persona = (a: Persona): string =>
    [
      a.name,
      a.description,
      a.needs?.length ? `${t('brand.dna.fields.audiences.needs')} (${a.needs.join(', ')})` : '',
      a.channels?.length ? `${t('brand.dna.fields.audiences.channels')} (${a.channels.join(', ')})` : '',
    ]
      .filter(Boolean)
      .join(' — ');
  const competitor = (c: Competitor): string => (c.website ? `${c.name} (${c.website})` : c.name);
  const channel = (c: ChannelUse): string => [channelLabel(c.channel), c.handle, c.url].filter(Boolean).join(' — ');

  /** A value of a diff, as text. */
  const describe = (path: string, value: unknown): string => {
    if (value === undefined || value === null) return '';
    const section = path.split('.')[0];
    if (path === section && section in ITEM_KEYS && typeof value === 'object') {
      if (section === 'offers') return offer(value as Offer);
      if (section === 'audiences') return persona(value as Persona);
      if (section === 'competitors') return competitor(value as Competitor);
      if (section === 'channels') return channel(value as ChannelUse);
    }
    if (Array.isArray(value)) return value.map((v) => describe(path, v)).join('\n');
    if (typeof value === 'object') return JSON.stringify(value);
    return String(value);
  };
  const changeKind = (change: DnaChange): string => t(`brand.dna.compare.kinds.${change.kind}`);
  const date = (d: Date | string): string => new Date(d).toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'short' });
  const reason = (r: string): string => t(`brand.dna.reasons.${r}`);
  /** A stored change summary (`identity.mission, offers`) as field labels. */
  const summary = (text: string | null): string => (text ? text.split(/,\s*/).filter(Boolean).map(fullLabel).join(', ') : '');
  /** The field an error of the edit form is about (`offers.2.price` → "Offres et produits › Offre 3 › Prix"). */
  const errorLabel = (key: string): string => {
    const row = /^(offers|audiences|competitors)\.(\d+)\.(\w+)$/.exec(key);
    if (row) {
      const item = t(`brand.dna.edit.${ROW_LABELS[row[1]]}`, { n: Number(row[2]) + 1 });
      return `${sectionLabel(row[1])} › ${item} › ${t(`brand.dna.fields.${row[1]}.${row[3]}`)}`;
    }
    const channelField = /^channels\.([a-z_]+)\.(\w+)$/.exec(key);
    if (channelField) return `${sectionLabel('channels')} › ${channelLabel(channelField[1])} › ${t(`brand.dna.fields.channels.${channelField[2]}`)}`;
    return fullLabel(key);
  };
  const hexColor = (value: string): string | null => (/^#([0-9a-f]{3}|[0-9a-f]{6})$/i.test(value.trim()) ? value.trim() : null);

  return { sectionLabel, fieldLabel, fullLabel, channelLabel, price, sources, sectionSources, offer, persona, competitor, channel, describe, changeKind, date, reason, summary, errorLabel, hexColor };
}

export type DnaViewHelpers = ReturnType<typeof dnaViewHelpers>;
