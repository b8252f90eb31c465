import PDFDocument from 'pdfkit';
import type { TFunction } from 'i18next';
import type { PeriodFigures } from './report-figures.js';
import { isWholeMonth, reportFormat } from './report-format.js';

export interface ReportDocumentInput {
  figures: PeriodFigures;
  kind: 'monthly' | 'on_demand';
  locale: string;
  generatedAt: Date;
  t: TFunction;
}

const A4_WIDTH = 595.28;
const MARGIN = 50;
const CONTENT_WIDTH = A4_WIDTH - 2 * MARGIN;
const INK = '#1f2937';
const MUTED = '#6b7280';
const ACCENT = '#2563eb';

const CP1252_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');
const inCp1252 = (c: string) => {
  const code = c.codePointAt(0)!;
  return (code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xff) || CP1252_EXTRA.has(c);
};

/**
 * The standard PDF fonts (nothing to embed) speak Windows-1252 only: the narrow no-break space of French number
 * formats becomes a no-break space, a letter outside it loses its accent when that is enough (ł stays unreadable:
 * `?`), and emoji are dropped — the client's titles stay legible instead of turning into garbage glyphs.
 */
export function pdfText(text: string): string {
  let out = '';
  for (const c of text.replace(/\u202f/g, '\u00a0')) {
    if (inCp1252(c)) out += c;
    else if (/\p{Extended_Pictographic}|\p{M}|[\u200d\ufe0f]/u.test(c)) continue;
    else {
      const base = c.normalize('NFKD').replace(/\p{M}/gu, '');
      out += base && [...base].every(inCp1252) ? base : '?';
    }
  }
  return out;
}

/** The report's title line for its period: "novembre 2026" or "du 3 au 17 novembre 2026". */
export function periodLabel(t: TFunction, locale: string, firstDay: string, lastDay: string): string {
  const f = reportFormat(locale);
  return isWholeMonth(firstDay, lastDay) ? f.month(firstDay) : t('revenue.report.periodRange', { from: f.day(firstDay), to: f.day(lastDay) });
}

/**
 * The client's report as an A4 PDF ready to forward: the tenant and the period, the key figures, a bar per channel,
 * the per-channel table, the top contents, reviews and credits, and what each figure means. Standard fonts only
 * (nothing to embed), drawn with pdfkit.
 */
export function renderReportPdf(input: ReportDocumentInput, options: { compress?: boolean } = {}): Promise<Buffer> {
  const { figures, t } = input;
  const f = reportFormat(input.locale);
  const n = (v: number) => pdfText(f.number(v));
  const channelName = (c: string) => t(`studio.channels.${c}`, { defaultValue: c });
  const title = t(input.kind === 'monthly' ? 'revenue.report.titleMonthly' : 'revenue.report.titleOnDemand');
  const period = periodLabel(t, input.locale, figures.period.firstDay, figures.period.lastDay);

  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    compress: options.compress ?? true,
    lang: f.locale,
    displayTitle: true,
    info: { Title: `${title} — ${figures.tenant.name} — ${period}`, Author: 'Cadence', Creator: 'Cadence', CreationDate: input.generatedAt },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const heading = (text: string) => {
    if (doc.y > 700) doc.addPage();
    doc.moveDown(1).font('Helvetica-Bold').fontSize(13).fillColor(INK).text(pdfText(text), MARGIN, doc.y, { width: CONTENT_WIDTH });
    doc.moveDown(0.4);
  };
  const row = (label: string, value: string) => {
    const y = doc.y;
    doc.font('Helvetica').fontSize(10.5).fillColor(INK).text(pdfText(label), MARGIN, y, { width: CONTENT_WIDTH * 0.62 });
    const afterLabel = doc.y;
    doc.font('Helvetica-Bold').text(pdfText(value), MARGIN + CONTENT_WIDTH * 0.62, y, { width: CONTENT_WIDTH * 0.38, align: 'right' });
    doc.y = Math.max(afterLabel, doc.y) + 3;
  };

  // Header
  doc.font('Helvetica-Bold').fontSize(20).fillColor(INK).text(pdfText(figures.tenant.name), { width: CONTENT_WIDTH });
  doc.font('Helvetica').fontSize(13).fillColor(ACCENT).text(pdfText(`${title} — ${period}`), { width: CONTENT_WIDTH });
  doc.fontSize(9).fillColor(MUTED).text(pdfText(t('revenue.report.generatedAt', { at: f.dateTime(input.generatedAt, figures.tenant.timezone) })));

  // Key figures
  heading(t('revenue.report.sections.keyFigures'));
  row(t('revenue.report.figures.publications'), n(figures.publications));
  row(t('revenue.report.figures.impressions'), n(figures.engagement.impressions));
  row(t('revenue.report.figures.engagements'), n(figures.engagement.engagements));
  row(t('revenue.report.figures.linkClicks'), n(figures.linkClicks));
  row(t('revenue.report.figures.conversions'), n(figures.conversions.count));
  row(t('revenue.report.figures.conversionValue'), figures.conversions.values.length ? pdfText(figures.conversions.values.map(f.money).join(' + ')) : '–');
  row(t('revenue.report.figures.reviews'), n(figures.reviews.count));
  row(t('revenue.report.figures.averageRating'), figures.reviews.averageRating === null ? '–' : pdfText(`${f.number(figures.reviews.averageRating, 1)} / 5`));
  row(t('revenue.report.figures.creditsConsumed'), n(figures.credits.consumed));
  if (figures.publications > figures.measuredPublications) {
    doc.moveDown(0.3).font('Helvetica-Oblique').fontSize(9).fillColor(MUTED)
      .text(pdfText(t('revenue.report.unmeasured', { count: figures.publications - figures.measuredPublications })), MARGIN, doc.y, { width: CONTENT_WIDTH });
  }

  // Per channel: a bar of engagements, then the table
  if (figures.perChannel.length) {
    heading(t('revenue.report.sections.perChannel'));
    const max = Math.max(1, ...figures.perChannel.map((c) => c.engagements));
    const labelWidth = 130;
    const barWidth = CONTENT_WIDTH - labelWidth - 70;
    doc.font('Helvetica').fontSize(9).fillColor(MUTED).text(pdfText(t('revenue.report.chartCaption')), MARGIN, doc.y, { width: CONTENT_WIDTH });
    doc.moveDown(0.3);
    for (const c of figures.perChannel) {
      const y = doc.y;
      doc.font('Helvetica').fontSize(9.5).fillColor(INK).text(pdfText(channelName(c.channel)), MARGIN, y + 1, { width: labelWidth - 8, lineBreak: false, ellipsis: true });
      const w = Math.max(c.engagements > 0 ? 2 : 0, (c.engagements / max) * barWidth);
      if (w > 0) doc.rect(MARGIN + labelWidth, y, w, 11).fill(ACCENT);
      doc.fillColor(INK).text(n(c.engagements), MARGIN + labelWidth + w + 6, y + 1, { lineBreak: false });
      doc.y = y + 17;
    }
    doc.moveDown(0.6);
    const cols = [
      { label: t('revenue.report.table.channel'), width: 150, value: (c: (typeof figures.perChannel)[number]) => channelName(c.channel), align: 'left' as const },
      { label: t('revenue.report.table.publications'), width: 85, value: (c: (typeof figures.perChannel)[number]) => n(c.publications), align: 'right' as const },
      { label: t('revenue.report.table.impressions'), width: 90, value: (c: (typeof figures.perChannel)[number]) => n(c.impressions), align: 'right' as const },
      { label: t('revenue.report.table.engagements'), width: 90, value: (c: (typeof figures.perChannel)[number]) => n(c.engagements), align: 'right' as const },
      { label: t('revenue.report.table.linkClicks'), width: CONTENT_WIDTH - 415, value: (c: (typeof figures.perChannel)[number]) => n(c.linkClicks), align: 'right' as const },
    ];
    const line = (cells: string[], bold: boolean) => {
      const y = doc.y;
      let x = MARGIN;
      let bottom = y;
      cells.forEach((cell, i) => {
        doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(9.5).fillColor(INK).text(pdfText(cell), x, y, { width: cols[i].width - 6, align: cols[i].align });
        bottom = Math.max(bottom, doc.y);
        x += cols[i].width;
      });
      doc.y = bottom + 3;
    };
    line(cols.map((c) => c.label), true);
    for (const c of figures.perChannel) line(cols.map((col) => col.value(c)), false);
  }

  // Top contents
  heading(t('revenue.report.sections.topContents'));
  if (!figures.topContents.length) {
    doc.font('Helvetica').fontSize(10).fillColor(MUTED).text(pdfText(t('revenue.report.noTopContents')), MARGIN, doc.y, { width: CONTENT_WIDTH });
  }
  figures.topContents.forEach((c, i) => {
    const name = c.title || t('revenue.report.untitled');
    doc.font('Helvetica-Bold').fontSize(10).fillColor(INK).text(pdfText(`${i + 1}. ${name}`), MARGIN, doc.y, { width: CONTENT_WIDTH });
    doc.font('Helvetica').fontSize(9).fillColor(MUTED).text(
      pdfText(t('revenue.report.topContentLine', { channel: channelName(c.channel), impressions: f.number(c.impressions), engagements: f.number(c.engagements), score: f.number(c.score) })),
      { width: CONTENT_WIDTH },
    );
    doc.moveDown(0.3);
  });

  // Definitions
  heading(t('revenue.report.sections.definitions'));
  doc.font('Helvetica').fontSize(8.5).fillColor(MUTED);
  for (const key of ['engagements', 'linkClicks', 'conversions', 'score', 'credits']) {
    doc.text(pdfText(t(`revenue.report.definitions.${key}`)), MARGIN, doc.y, { width: CONTENT_WIDTH });
    doc.moveDown(0.2);
  }
  doc.end();
  return done;
}
