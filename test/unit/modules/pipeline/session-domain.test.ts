import { expect } from 'chai';
import { deadlineInput, itemFormSchema, parseDeadline, selectableMonths, sessionFormSchema } from '../../../../src/modules/pipeline/session-domain.js';

describe('pipeline/session domain', () => {
  it('offers the current month (in the tenant’s zone) and the three next', () => {
    // 31 December 2031 23:30 UTC is already January 2032 in Paris
    expect(selectableMonths(new Date('2031-12-31T23:30:00Z'), 'Europe/Paris')).to.deep.equal(['2032-01-01', '2032-02-01', '2032-03-01', '2032-04-01']);
    expect(selectableMonths(new Date('2031-12-31T23:30:00Z'), 'America/New_York')[0]).to.equal('2031-12-01');
  });

  it('ranks priorities by weight, keeping the typed order for ties, and drops blank rows', () => {
    const form = sessionFormSchema.parse({ textInput: ' Bonjour ', priorityLabel: ['A', 'B', '', 'C'], priorityWeight: ['2', '9', '', ''] });
    expect(form.textInput).to.equal('Bonjour');
    expect(form.priorities).to.deep.equal([{ label: 'B', weight: 9 }, { label: 'A', weight: 2 }, { label: 'C', weight: 1 }]);
    expect(sessionFormSchema.parse({}).priorities).to.deep.equal([]);
    const refused = sessionFormSchema.safeParse({ priorityLabel: 'A', priorityWeight: '0' });
    expect(refused.success).to.equal(false);
    expect(refused.error!.issues[0].message).to.equal('session.errors.weightInvalid');
  });

  it('validates items: dates in order, web links only, a title', () => {
    const item = itemFormSchema.parse({ kind: 'event', title: ' Portes ouvertes ', startsOn: '2031-09-13', endsOn: '', url: 'https://example.fr/po' });
    expect(item).to.deep.equal({ kind: 'event', title: 'Portes ouvertes', detail: '', startsOn: '2031-09-13', endsOn: null, url: 'https://example.fr/po' });
    const messages = (input: Record<string, unknown>) => itemFormSchema.safeParse(input).error?.issues.map((i) => i.message) ?? [];
    expect(messages({ kind: 'news', title: 'x', url: 'javascript:alert(1)' })).to.deep.equal(['session.errors.urlInvalid']);
    expect(messages({ kind: 'news', title: 'x', startsOn: '2031-09-13', endsOn: '2031-09-01' })).to.deep.equal(['session.errors.endsBeforeStart']);
    expect(messages({ kind: 'news', title: '', startsOn: '2031-02-30' })).to.have.members(['session.errors.titleRequired', 'session.errors.dateInvalid']);
    expect(messages({ kind: 'promo', title: 'x' })).to.deep.equal(['session.errors.kindInvalid']);
  });

  it('reads a deadline in the tenant’s zone (a date alone means the end of that day)', () => {
    expect(parseDeadline('2031-06-28T18:00', 'Europe/Paris')!.toISOString()).to.equal('2031-06-28T16:00:00.000Z');
    expect(parseDeadline('2031-06-28', 'Europe/Paris')!.toISOString()).to.equal('2031-06-28T21:59:59.999Z');
    expect(parseDeadline('', 'Europe/Paris')).to.equal(null);
    expect(deadlineInput(new Date('2031-06-28T16:00:00Z'), 'Europe/Paris')).to.equal('2031-06-28T18:00');
  });
});
