import { expect } from 'chai';
import { dueDateOf, formatInvoiceNumber, seriesOf, taxTreatment, totalsOf } from '../../../../src/modules/billing/invoice-rules.js';
import { changeDirection, monthlyCents, nextPeriod, prorate } from '../../../../src/modules/billing/subscription-rules.js';

describe('Invoice rules', () => {
  it('decides VAT in one place: France 20 %, EU business reverse charge, outside the EU none, EU consumer French VAT', () => {
    expect(taxTreatment({ country: 'FR', vatNumber: 'FR40812345678' })).to.deep.equal({ case: 'domestic', rateBp: 2000, reverseCharge: false, mention: null });
    expect(taxTreatment({ country: 'fr', vatNumber: null }).rateBp).to.equal(2000);
    expect(taxTreatment({ country: 'BE', vatNumber: 'BE0123456789' })).to.deep.equal({ case: 'reverseCharge', rateBp: 0, reverseCharge: true, mention: 'subscription.invoice.mentions.reverseCharge' });
    expect(taxTreatment({ country: 'BE', vatNumber: null })).to.include({ case: 'euConsumer', rateBp: 2000, reverseCharge: false });
    expect(taxTreatment({ country: 'CH', vatNumber: 'CHE123456789' })).to.include({ case: 'outsideEu', rateBp: 0, reverseCharge: false });
    expect(taxTreatment({ country: 'US', vatNumber: null }).mention).to.equal('subscription.invoice.mentions.outsideEu');
  });

  it('computes totals in cents, VAT rounded half up once on the subtotal', () => {
    expect(totalsOf([{ quantity: 1, unitPriceCents: 12900 }, { quantity: 2, unitPriceCents: 900 }], 2000)).to.deep.equal({ subtotalCents: 14700, taxCents: 2940, totalCents: 17640 });
    // 0.2 × 5667 = 1133.4 → 1133; 0.2 × 5668 = 1133.6 → 1134; 0.2 × 5 = 1 → 1; 0.2 × 2.5 → half up
    expect(totalsOf([{ quantity: 1, unitPriceCents: 5667 }], 2000).taxCents).to.equal(1133);
    expect(totalsOf([{ quantity: 1, unitPriceCents: 5668 }], 2000).taxCents).to.equal(1134);
    expect(totalsOf([{ quantity: 1, unitPriceCents: 25 }], 2000).taxCents).to.equal(5);
    expect(totalsOf([{ quantity: 1, unitPriceCents: 1 }], 5000).taxCents).to.equal(1);
    expect(totalsOf([{ quantity: 3, unitPriceCents: 4900 }], 0)).to.deep.equal({ subtotalCents: 14700, taxCents: 0, totalCents: 14700 });
    expect(() => totalsOf([{ quantity: 0, unitPriceCents: 100 }], 2000)).to.throw(RangeError);
    expect(() => totalsOf([{ quantity: 1, unitPriceCents: 10.5 }], 2000)).to.throw(RangeError);
  });

  it('numbers per yearly series in Paris time, zero-padded', () => {
    expect(formatInvoiceNumber('F2026-', 42, 6)).to.equal('F2026-000042');
    expect(formatInvoiceNumber('', 1234567, 6)).to.equal('1234567');
    expect(seriesOf(new Date('2026-12-31T22:59:59Z'))).to.deep.equal({ series: '2026', prefix: 'F2026-' });
    expect(seriesOf(new Date('2026-12-31T23:00:00Z'))).to.deep.equal({ series: '2027', prefix: 'F2027-' }); // midnight in Paris
  });

  it('puts the due date at the end of the day, N days after issue (Paris)', () => {
    expect(dueDateOf(new Date('2026-11-25T10:00:00Z'), 30).toISOString()).to.equal('2026-12-25T22:59:59.999Z');
  });
});

describe('Subscription rules', () => {
  const period = { start: new Date('2026-11-01T00:00:00Z'), end: new Date('2026-12-01T00:00:00Z') };

  it('prorates an upgrade on the days left (a started day counts), rounded half up to the cent', () => {
    // 10 days left (21 Nov 10:00 → 1 Dec), 30-day period: 17000 × 10 / 30 = 5666.67 → 5667
    expect(prorate(12900, 29900, period, new Date('2026-11-21T10:00:00Z'))).to.deep.equal({ amountCents: 5667, daysLeft: 10, daysInPeriod: 30 });
    expect(prorate(12900, 29900, period, period.start)).to.deep.equal({ amountCents: 17000, daysLeft: 30, daysInPeriod: 30 });
    expect(prorate(12900, 29900, period, new Date('2026-11-30T23:59:00Z')).daysLeft).to.equal(1);
    expect(prorate(12900, 29900, period, period.end).amountCents).to.equal(0);
    // 1 cent over 3 days left of 30: 0.1 → 0; a half cent rounds up: 15 × 1/30 = 0.5 → 1
    expect(prorate(0, 1, period, new Date('2026-11-28T00:00:00Z')).amountCents).to.equal(0);
    expect(prorate(0, 15, period, new Date('2026-11-30T00:00:00Z')).amountCents).to.equal(1);
    expect(prorate(29900, 12900, period, new Date('2026-11-21T00:00:00Z')).amountCents).to.equal(0);
  });

  it('tells upgrades from downgrades on MRR, renews calendar periods and counts yearly prices for a twelfth', () => {
    expect(changeDirection({ priceCents: 4900, billingInterval: 'month', currency: 'EUR' }, { priceCents: 12900, billingInterval: 'month', currency: 'EUR' })).to.equal('upgrade');
    expect(changeDirection({ priceCents: 12900, billingInterval: 'month', currency: 'EUR' }, { priceCents: 4900, billingInterval: 'month', currency: 'EUR' })).to.equal('downgrade');
    expect(changeDirection({ priceCents: 4900, billingInterval: 'month', currency: 'EUR' }, { priceCents: 4900, billingInterval: 'month', currency: 'EUR' })).to.equal('upgrade');
    expect(monthlyCents({ priceCents: 120000, billingInterval: 'year' })).to.equal(10000);
    expect(nextPeriod(period.end, 'month')).to.deep.equal({ start: period.end, end: new Date('2027-01-01T00:00:00Z') });
    expect(nextPeriod(period.end, 'year').end.toISOString()).to.equal('2027-12-01T00:00:00.000Z');
  });
});
