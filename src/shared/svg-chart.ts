/**
 * Server-rendered charts: small, accessible SVG strings (a `<title>`, a `<desc>`, and the figures as text for screen
 * readers), drawn with the app's CSS variables so they follow the theme. No script, no external asset.
 */

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  /** CSS class of the series (colour), e.g. `series-1`. */
  className?: string;
  /** Drawn against the right-hand axis (overlays of another unit, e.g. revenue over clicks). */
  rightAxis?: boolean;
}

export interface ChartOptions {
  title: string;
  /** One label per point of every series (days, months, channels). */
  labels: string[];
  series: ChartSeries[];
  width?: number;
  height?: number;
  /** Formats axis ticks and figures (e.g. French number format). */
  format?: (value: number) => string;
  formatRight?: (value: number) => string;
}

const PAD = { top: 16, right: 48, bottom: 28, left: 48 };

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A line chart (one polyline per series; gaps where a value is null). */
export function lineChart(options: ChartOptions): string {
  return chart(options, 'line');
}

/** A grouped bar chart (one bar per series and label). */
export function barChart(options: ChartOptions): string {
  return chart(options, 'bar');
}

function chart(options: ChartOptions, kind: 'line' | 'bar'): string {
  const width = options.width ?? 640;
  const height = options.height ?? 240;
  const format = options.format ?? ((v: number) => String(v));
  const formatRight = options.formatRight ?? format;
  const plotW = width - PAD.left - PAD.right;
  const plotH = height - PAD.top - PAD.bottom;
  const n = options.labels.length;
  const left = options.series.filter((s) => !s.rightAxis);
  const right = options.series.filter((s) => s.rightAxis);
  const maxLeft = niceMax(left);
  const maxRight = niceMax(right);
  const x = (i: number) => PAD.left + (n <= 1 ? plotW / 2 : kind === 'bar' ? ((i + 0.5) * plotW) / n : (i * plotW) / (n - 1));
  const y = (v: number, max: number) => PAD.top + plotH - (max > 0 ? (v / max) * plotH : 0);

  const parts: string[] = [];
  for (let t = 0; t <= 4; t++) {
    const value = (maxLeft * t) / 4;
    const yy = y(value, maxLeft);
    parts.push(`<line class="grid" x1="${PAD.left}" x2="${width - PAD.right}" y1="${r(yy)}" y2="${r(yy)}"/>`);
    if (left.length) parts.push(`<text class="tick" x="${PAD.left - 6}" y="${r(yy + 4)}" text-anchor="end">${escapeXml(format(value))}</text>`);
    if (right.length) {
      parts.push(`<text class="tick" x="${width - PAD.right + 6}" y="${r(yy + 4)}">${escapeXml(formatRight((maxRight * t) / 4))}</text>`);
    }
  }
  const every = Math.max(1, Math.ceil(n / 12));
  options.labels.forEach((label, i) => {
    if (i % every === 0) parts.push(`<text class="tick" x="${r(x(i))}" y="${height - 8}" text-anchor="middle">${escapeXml(label)}</text>`);
  });

  options.series.forEach((series, s) => {
    const cls = escapeXml(series.className ?? `series-${s + 1}`);
    const max = series.rightAxis ? maxRight : maxLeft;
    if (kind === 'bar') {
      const group = plotW / Math.max(1, n);
      const bar = (group * 0.8) / options.series.length;
      series.values.forEach((v, i) => {
        if (v === null) return;
        const bx = PAD.left + i * group + group * 0.1 + s * bar;
        const by = y(v, max);
        parts.push(`<rect class="${cls}" x="${r(bx)}" y="${r(by)}" width="${r(bar)}" height="${r(PAD.top + plotH - by)}"><title>${escapeXml(`${series.label} — ${options.labels[i]} : ${format(v)}`)}</title></rect>`);
      });
      return;
    }
    let path = '';
    series.values.forEach((v, i) => {
      if (v === null) return;
      path += `${path && series.values[i - 1] !== null ? 'L' : 'M'}${r(x(i))},${r(y(v, max))}`;
    });
    if (path) parts.push(`<path class="${cls}" fill="none" d="${path}"/>`);
    series.values.forEach((v, i) => {
      if (v !== null) parts.push(`<circle class="${cls}" cx="${r(x(i))}" cy="${r(y(v, max))}" r="2.5"><title>${escapeXml(`${series.label} — ${options.labels[i]} : ${(series.rightAxis ? formatRight : format)(v)}`)}</title></circle>`);
    });
  });

  const legend = options.series.map((s, i) => `<tspan class="${escapeXml(s.className ?? `series-${i + 1}`)}-text" dx="${i ? 16 : 0}">■ ${escapeXml(s.label)}</tspan>`).join('');
  const desc = options.series
    .map((s) => `${s.label}: ${s.values.map((v, i) => `${options.labels[i]} ${v === null ? '–' : (s.rightAxis ? formatRight : format)(v)}`).join(', ')}`)
    .join('. ');
  return (
    `<svg class="chart chart-${kind}" viewBox="0 0 ${width} ${height}" role="img" xmlns="http://www.w3.org/2000/svg">` +
    `<title>${escapeXml(options.title)}</title><desc>${escapeXml(desc)}</desc>` +
    parts.join('') +
    `<text class="legend" x="${PAD.left}" y="${PAD.top - 4}">${legend}</text></svg>`
  );
}

/** A round upper bound for an axis (1, 2 or 5 × 10^k). */
function niceMax(series: ChartSeries[]): number {
  const max = Math.max(0, ...series.flatMap((s) => s.values.filter((v): v is number => v !== null)));
  if (max <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (max <= step * magnitude) return step * magnitude;
  return 10 * magnitude;
}

function r(value: number): string {
  return String(Math.round(value * 10) / 10);
}
