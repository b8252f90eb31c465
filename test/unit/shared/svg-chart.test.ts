import { expect } from 'chai';
import { barChart, lineChart } from '../../../src/shared/svg-chart.js';

describe('svg charts', () => {
  it('draws a line per series with its points, a title and the figures for screen readers', () => {
    const svg = lineChart({ title: 'Clics', labels: ['jan.', 'févr.', 'mars'], series: [{ label: 'LinkedIn', values: [1, null, 3] }], format: (v) => v.toLocaleString('fr-FR') });
    expect(svg).to.match(/^<svg [^>]*role="img"/);
    expect(svg).to.contain('<title>Clics</title>');
    expect(svg).to.contain('<desc>LinkedIn: jan. 1, févr. –, mars 3</desc>');
    expect((svg.match(/<circle /g) ?? []).length).to.equal(2);
    expect(svg).to.match(/<path class="series-1" fill="none" d="M[\d.]+,[\d.]+M[\d.]+,[\d.]+"\/>/); // a gap, not a line through the null
  });

  it('escapes every label, draws bars per series and label, and a right axis for overlays', () => {
    const svg = barChart({
      title: '<script>x</script>',
      labels: ['a&b'],
      series: [
        { label: 'clics', values: [10] },
        { label: 'CA', values: [2500], rightAxis: true },
      ],
      formatRight: (v) => `${v} €`,
    });
    expect(svg).to.not.contain('<script>');
    expect(svg).to.contain('&lt;script&gt;');
    expect(svg).to.contain('a&amp;b');
    expect((svg.match(/<rect /g) ?? []).length).to.equal(2);
    expect(svg).to.contain('5000 €'); // right axis ticks up to its own nice maximum
  });

  it('copes with no data', () => {
    expect(lineChart({ title: 'vide', labels: [], series: [] })).to.contain('<title>vide</title>');
  });
});
