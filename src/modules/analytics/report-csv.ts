import type { TFunction } from 'i18next';
import { writeCsv } from '../publishing/contacts/csv.js';
import type { PeriodFigures } from './report-figures.js';
import { csvMoney, csvNumber } from './report-format.js';

/**
 * The report's figures as a CSV for French Excel, written by the contacts export's writer: UTF-8 with BOM, `;`,
 * CRLF, every cell a spreadsheet would run as a formula neutralised (titles are the client's text). One figure per
 * line — section, indicator, detail, value, unit — with headers and labels in the report's language and numbers
 * with its decimal mark and no thousands separator, so a spreadsheet reads them as numbers.
 */
export function renderReportCsv(figures: PeriodFigures, locale: string, t: TFunction): string {
  const header = ['section', 'indicator', 'detail', 'value', 'unit'].map((k) => t(`revenue.report.csv.columns.${k}`));
  const rows: string[][] = [];
  const section = (key: string) => t(`revenue.report.sections.${key}`);
  const figure = (key: string) => t(`revenue.report.figures.${key}`);
  const count = t('revenue.report.csv.units.count');
  const int = (v: number) => csvNumber(v, locale);
  const channelName = (c: string) => t(`studio.channels.${c}`, { defaultValue: c });

  rows.push([section('period'), t('revenue.report.csv.firstDay'), '', figures.period.firstDay, t('revenue.report.csv.units.date')]);
  rows.push([section('period'), t('revenue.report.csv.lastDay'), '', figures.period.lastDay, t('revenue.report.csv.units.date')]);
  const key = section('keyFigures');
  rows.push([key, figure('publications'), '', int(figures.publications), count]);
  rows.push([key, figure('impressions'), '', int(figures.engagement.impressions), count]);
  rows.push([key, figure('engagements'), '', int(figures.engagement.engagements), count]);
  for (const part of ['reactions', 'comments', 'shares'] as const) rows.push([key, figure('engagements'), figure(part), int(figures.engagement[part]), count]);
  rows.push([key, figure('linkClicks'), '', int(figures.linkClicks), count]);
  rows.push([key, figure('conversions'), '', int(figures.conversions.count), count]);
  for (const v of figures.conversions.values) rows.push([key, figure('conversionValue'), '', csvMoney(v.cents, locale), v.currency]);
  rows.push([key, figure('reviews'), '', int(figures.reviews.count), count]);
  if (figures.reviews.averageRating !== null) rows.push([key, figure('averageRating'), '', csvNumber(figures.reviews.averageRating, locale, 1), t('revenue.report.csv.units.outOfFive')]);
  rows.push([key, figure('creditsConsumed'), '', int(figures.credits.consumed), t('revenue.report.csv.units.credits')]);
  rows.push([key, figure('creditsGranted'), '', int(figures.credits.granted), t('revenue.report.csv.units.credits')]);

  for (const c of figures.perChannel) {
    for (const [label, value] of [
      ['publications', c.publications],
      ['impressions', c.impressions],
      ['engagements', c.engagements],
      ['linkClicks', c.linkClicks],
    ] as const) {
      rows.push([section('perChannel'), channelName(c.channel), figure(label), int(value), count]);
    }
  }
  // best first; the title is the client's text, alone in its cell so the writer neutralises it
  for (const c of figures.topContents) {
    rows.push([section('topContents'), c.title || t('revenue.report.untitled'), channelName(c.channel), int(c.score), t('revenue.report.csv.units.score')]);
  }
  return writeCsv(header, rows);
}
