import type { Locale, Translate } from '../../shared/i18n.js';
import type { ChangeKind } from './domain.js';

/**
 * How the watch's screens write things: prices in the reader's number format with their currency, price moves as
 * signed percentages, intervals, dates in the tenant's time zone, kinds with their icon, readable diffs. Pure.
 */

const NUMBER_LOCALE: Record<Locale, string> = { fr: 'fr-FR', en: 'en-GB' };

/** A glyph per change kind, shown next to its translated label (decorative: the label says it). */
export const KIND_ICONS: Record<ChangeKind, string> = {
  new_post: '📰',
  price_change: '🏷️',
  product_added: '➕',
  product_removed: '➖',
  availability_change: '📦',
  text_change: '📝',
};

export interface DiffLine {
  kind: 'added' | 'removed' | 'hunk' | 'context';
  text: string;
}

/**
 * A unified diff as lines to colour: `+` added, `-` removed, `@@` a new hunk; the file headers (`---`/`+++`) are
 * dropped. The text is shown escaped, never as HTML.
 */
export function diffLines(diff: string | null): DiffLine[] {
  if (!diff) return [];
  const lines: DiffLine[] = [];
  for (const line of diff.replace(/\r\n?/g, '\n').split('\n')) {
    if (line.startsWith('+++') || line.startsWith('---')) continue;
    if (line.startsWith('@@')) lines.push({ kind: 'hunk', text: line });
    else if (line.startsWith('+')) lines.push({ kind: 'added', text: line.slice(1) });
    else if (line.startsWith('-')) lines.push({ kind: 'removed', text: line.slice(1) });
    else lines.push({ kind: 'context', text: line.startsWith(' ') ? line.slice(1) : line });
  }
  while (lines.length && lines.at(-1)!.kind === 'context' && lines.at(-1)!.text === '') lines.pop();
  return lines;
}

export class WatchFormats {
  private readonly numberLocale: string;

  constructor(
    readonly locale: Locale,
    readonly timezone: string,
    private readonly t: Translate,
  ) {
    this.numberLocale = NUMBER_LOCALE[locale] ?? locale;
  }

  /** `1 234,56 €` in French, `€1,234.56` in English; without a currency, the bare amount. */
  price(cents: number | null, currency: string | null): string {
    if (cents === null || cents === undefined) return '—';
    const amount = cents / 100;
    if (!currency) return new Intl.NumberFormat(this.numberLocale, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(amount);
    try {
      return new Intl.NumberFormat(this.numberLocale, { style: 'currency', currency }).format(amount);
    } catch {
      return `${new Intl.NumberFormat(this.numberLocale, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(amount)} ${currency}`;
    }
  }

  /** Basis points as a signed percentage: `+12,5 %` / `+12.5%`, `−8 %`. */
  percent(basisPoints: number | null): string {
    if (basisPoints === null || basisPoints === undefined) return '';
    return new Intl.NumberFormat(this.numberLocale, { style: 'percent', maximumFractionDigits: 1, signDisplay: 'exceptZero' }).format(basisPoints / 10_000);
  }

  /** A poll interval: `45 min`, `6 h`, `2 j` / `2 days`. */
  interval(minutes: number): string {
    if (minutes % 1440 === 0) return this.t('watch.ui.interval.days', { count: minutes / 1440 });
    if (minutes % 60 === 0) return this.t('watch.ui.interval.hours', { count: minutes / 60 });
    return this.t('watch.ui.interval.minutes', { count: minutes });
  }

  dateTime(value: Date | null): string {
    if (!value) return this.t('watch.ui.never');
    return new Intl.DateTimeFormat(this.locale, { timeZone: this.timezone, dateStyle: 'medium', timeStyle: 'short' }).format(value);
  }

  kindLabel(kind: ChangeKind): string {
    return this.t(`watch.ui.kinds.${kind}`);
  }

  kindIcon(kind: ChangeKind): string {
    return KIND_ICONS[kind] ?? '•';
  }

  /**
   * A source's last error in the reader's language: the code is an i18n key (`fetch.errors.forbiddenAddress`,
   * `watch.errors.…`); an unknown code falls back to the recorded message, then to a generic sentence.
   */
  sourceError(source: { lastErrorCode: string | null; lastErrorMessage: string | null; host: string; lastHttpStatus: number | null }): string {
    const code = source.lastErrorCode;
    if (code) {
      const translated = this.t(code, { defaultValue: '', host: source.host, status: source.lastHttpStatus ?? '?' });
      // a parameter the poll did not record (seconds, megabytes…) is left out rather than shown as {{name}}
      if (translated) return translated.replace(/\{\{\s*\w+\s*\}\}/g, '…');
    }
    return source.lastErrorMessage || this.t('watch.ui.health.unknownError');
  }
}
