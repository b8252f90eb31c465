import type { AwilixContainer } from 'awilix';
import { expect } from 'chai';
import { executeStep, newRun, newTenant, sessionContainer, stepOf, watchChange, type Wired } from './session-support.js';

const DAY = 24 * 3600 * 1000;

describe('pipeline/session step', function () {
  this.timeout(60_000);
  let container: AwilixContainer<Wired>;
  let c: Wired;
  // a run of March 2031 started on 25 February (explicit instants: nothing here depends on today's date)
  const startedAt = new Date('2031-02-25T10:00:00Z');
  const month = '2031-03-01';

  before(() => {
    container = sessionContainer();
    c = container.cradle;
  });
  after(() => container.dispose());

  it('creates the month session when missing, links it to the run, adds what the watch flagged once, and closes it', async () => {
    const tenantId = await newTenant(c);
    const other = await newTenant(c);
    const flagged = await watchChange(c, tenantId, { title: 'Nouvelle formule brunch', detectedAt: new Date(startedAt.getTime() - 10 * DAY), summary: 'Le concurrent lance un brunch à 19 €.' });
    const high = await watchChange(c, tenantId, { title: 'Baisse de prix sur la baguette', detectedAt: new Date(startedAt.getTime() - 44 * DAY), significance: 'high' });
    await watchChange(c, tenantId, { title: 'Trop ancien', detectedAt: new Date(startedAt.getTime() - 46 * DAY) });
    await watchChange(c, tenantId, { title: 'Peu important', detectedAt: new Date(startedAt.getTime() - DAY), significance: 'low' });
    await watchChange(c, tenantId, { title: 'Écarté par le client', detectedAt: new Date(startedAt.getTime() - DAY), dismissed: true });
    await watchChange(c, tenantId, { title: 'Après le départ', detectedAt: new Date(startedAt.getTime() + DAY) });
    await watchChange(c, other, { title: 'Changement d’un autre client', detectedAt: new Date(startedAt.getTime() - DAY), significance: 'high' });

    const run = await newRun(c, tenantId, month, startedAt);
    const first = await executeStep(c, stepOf(c, 'session'), tenantId, run.id, startedAt);
    expect(first.outcome.status).to.equal('succeeded');
    const session = (await c.monthlySessionRepository.find(tenantId, month))!;
    expect(session).to.include({ status: 'closed', locale: 'fr' });
    expect(session.closedAt!.getTime()).to.equal(startedAt.getTime());
    expect((await c.pipelineRepository.findRun(tenantId, run.id))!.sessionId).to.equal(session.id);
    const output = (first.outcome as { output: Record<string, unknown> }).output;
    expect(output).to.deep.include({ sessionId: session.id, submitted: false, basis: 'dna_watch_performance', items: 2, fromWatch: 2, watchAdded: 2, hasAudio: false });
    const items = await c.monthlySessionRepository.items(tenantId, session.id);
    expect(items.map((i) => i.watchChangeId).sort()).to.deep.equal([flagged, high].sort());
    expect(items.every((i) => i.source === 'watch_change' && i.kind === 'news' && i.origin === 'Maison Rivale')).to.equal(true);
    expect(items.find((i) => i.watchChangeId === flagged)!.detail).to.include('Le concurrent lance un brunch à 19 €.');

    // again (a crash after the step did its work): same items, nothing duplicated, the first closing kept
    const second = await executeStep(c, stepOf(c, 'session'), tenantId, run.id, new Date(startedAt.getTime() + 60_000));
    expect((second.outcome as { output: Record<string, unknown> }).output).to.deep.include({ sessionId: session.id, items: 2, fromWatch: 2, watchAdded: 0 });
    expect(await c.monthlySessionRepository.items(tenantId, session.id)).to.have.length(2);
    expect((await c.monthlySessionRepository.find(tenantId, month))!.closedAt!.getTime()).to.equal(startedAt.getTime());

    // the other tenant's change never appears in this tenant's session, and the other tenant has no session
    expect(items.map((i) => i.title)).not.to.include('Changement d’un autre client');
    expect(await c.monthlySessionRepository.find(other, month)).to.equal(null);
  });

  it("uses the client's submitted session as it is, with its deadline, and keeps excluded suggestions out of the count", async () => {
    const tenantId = await newTenant(c, { locale: 'en' });
    const session = await c.monthlySessionRepository.ensure(tenantId, month, 'en');
    const deadline = new Date('2031-03-05T17:00:00Z');
    await c.monthlySessionRepository.update(tenantId, session.id, { textInput: 'Spring menu launch', deadlineAt: deadline, priorities: [{ label: 'Spring menu', weight: 5 }] });
    await c.monthlySessionRepository.addItem(tenantId, session.id, { kind: 'event', title: 'Open day', detail: 'Tastings', startsOn: '2031-03-14', endsOn: null, url: null }, 'en');
    const change = await watchChange(c, tenantId, { title: 'Competitor promo', detectedAt: new Date(startedAt.getTime() - 3 * DAY) });
    await c.monthlySessionRepository.addWatchItems(tenantId, session.id, { since: new Date(startedAt.getTime() - 45 * DAY), until: startedAt }, 'en');
    const suggestion = (await c.monthlySessionRepository.items(tenantId, session.id)).find((i) => i.watchChangeId === change)!;
    await c.monthlySessionRepository.setIncluded(tenantId, session.id, suggestion.id, false);
    await c.monthlySessionRepository.submit(tenantId, session.id, (await c.database.asPlatform((trx) => trx('users').first('id'))).id, startedAt);

    const run = await newRun(c, tenantId, month, startedAt);
    const { outcome } = await executeStep(c, stepOf(c, 'session'), tenantId, run.id, startedAt);
    const output = (outcome as { output: Record<string, unknown> }).output;
    expect(output).to.deep.include({ sessionId: session.id, submitted: true, items: 1, fromWatch: 0, hasText: true, priorities: 1 });
    expect(output).not.to.have.property('basis');
    const linked = (await c.pipelineRepository.findRun(tenantId, run.id))!;
    expect(linked.deadlineAt!.getTime()).to.equal(deadline.getTime());
    // the excluded suggestion stays excluded, and is not added again
    const items = await c.monthlySessionRepository.items(tenantId, session.id);
    expect(items.filter((i) => i.watchChangeId === change)).to.have.length(1);
    expect(items.find((i) => i.watchChangeId === change)!.included).to.equal(false);
  });
});
