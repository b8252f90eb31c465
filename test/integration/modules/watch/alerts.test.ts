import { expect } from 'chai';
import { defaultPreference, nextDigestAt } from '../../../../src/modules/watch/alert-service.js';
import { CHANGE_KINDS } from '../../../../src/modules/watch/domain.js';
import { ValidationError } from '../../../../src/shared/errors.js';
import { alertsOf, billingOnlyRole, changesOf, cradle, createMember, createSource, createWatchTeam, pageInput, price, snapshot, type WatchTeam } from './change-support.js';

/** A preferences form with the defaults, then `overrides` (`email_price_change: 'off'`…). */
function form(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const fields: Record<string, string | undefined> = {};
  for (const kind of CHANGE_KINDS) {
    const d = defaultPreference(kind);
    fields[`email_${kind}`] = d.emailFrequency;
    fields[`portal_${kind}`] = 'on';
    fields[`min_${kind}`] = d.minSignificance;
  }
  return { ...fields, ...overrides };
}

describe('watch/alerts', function () {
  this.timeout(60_000);
  let team: WatchTeam;
  // Monday 2 March 2026, 10:00 in Paris (09:00 UTC)
  const now = new Date('2026-03-02T09:00:00Z');

  before(async () => {
    team = await createWatchTeam();
  });

  /** Detects a price change (bp as given) and an availability change on a fresh source, at `now`. */
  async function detectChanges(t: WatchTeam, oldCents: number, newCents: number) {
    const source = await createSource(t);
    const a = await snapshot(t.tenantId, source, { fields: { price: price('a', oldCents), availability: 'En stock' } });
    const b = await snapshot(t.tenantId, source, { fields: { price: price('b', newCents), availability: 'Épuisé' } });
    await cradle().changeDetector.detect(pageInput(source, a, b, now));
    const changes = await changesOf(t.tenantId, source.id);
    return { price: changes.find((c) => c.kind === 'price_change')!, availability: changes.find((c) => c.kind === 'availability_change')! };
  }

  it('computes the next digest hour in the tenant’s zone', () => {
    expect(nextDigestAt(now, 'Europe/Paris').toISOString()).to.equal('2026-03-03T07:00:00.000Z'); // 08:00 CET tomorrow
    expect(nextDigestAt(new Date('2026-03-02T06:30:00Z'), 'Europe/Paris').toISOString()).to.equal('2026-03-02T07:00:00.000Z'); // today 08:00
    expect(nextDigestAt(new Date('2026-07-01T12:00:00Z'), 'Europe/Paris').toISOString()).to.equal('2026-07-02T06:00:00.000Z'); // CEST
    expect(nextDigestAt(now, 'America/Montreal').toISOString()).to.equal('2026-03-02T13:00:00.000Z'); // 08:00 EST today
    expect(nextDigestAt(now, 'Not/AZone').toISOString()).to.equal('2026-03-03T07:00:00.000Z');
  });

  it('applies the defaults: price changes e-mailed at once, the rest in the daily digest, everything in the portal', async () => {
    const { price: p, availability } = await detectChanges(team, 1000, 900);
    const owner = await alertsOf(team.tenantId, { userId: team.owner.userId });
    const priceEmail = owner.find((a) => a.changeId === p.id && a.channel === 'email')!;
    const availabilityEmail = owner.find((a) => a.changeId === availability.id && a.channel === 'email')!;
    expect(priceEmail.emailDueAt.toISOString()).to.equal(now.toISOString());
    expect(availabilityEmail.emailDueAt.toISOString()).to.equal('2026-03-03T07:00:00.000Z');
    expect(owner.filter((a) => a.channel === 'portal').map((a) => a.changeId).sort()).to.deep.equal([p.id, availability.id].sort());
  });

  it('respects each member’s preferences: off, daily, immediate, portal off, minimum significance', async () => {
    const t = await createWatchTeam({ timezone: 'America/Montreal' });
    const service = cradle().alertService;
    // owner: price changes in the digest, availability never by e-mail, no portal alert for availability
    await service.savePreferences(t.tenantId, t.owner.userId, form({ email_price_change: 'daily', email_availability_change: 'off', portal_availability_change: undefined }));
    // viewer: availability at once; price changes only when high (this one is a 2 % drop: medium)
    await service.savePreferences(t.tenantId, t.viewer.userId, form({ email_availability_change: 'immediate', min_price_change: 'high' }));
    const { price: p, availability } = await detectChanges(t, 1000, 980);
    expect(p.significance).to.equal('medium');

    const owner = await alertsOf(t.tenantId, { userId: t.owner.userId });
    expect(owner.map((a) => `${a.changeId === p.id ? 'price' : 'availability'}:${a.channel}`).sort()).to.deep.equal(['price:email', 'price:portal']);
    expect(owner.find((a) => a.channel === 'email')!.emailDueAt.toISOString()).to.equal('2026-03-02T13:00:00.000Z'); // 08:00 in Montreal

    const viewer = await alertsOf(t.tenantId, { userId: t.viewer.userId });
    expect(viewer.map((a) => `${a.changeId === availability.id ? 'availability' : 'price'}:${a.channel}`).sort()).to.deep.equal(['availability:email', 'availability:portal']);
    expect(viewer.find((a) => a.channel === 'email')!.emailDueAt.toISOString()).to.equal(now.toISOString());
  });

  it('alerts only members who can see the watch', async () => {
    const t = await createWatchTeam();
    const billing = await createMember(t.tenantId, await billingOnlyRole(), 'Compta');
    await detectChanges(t, 1000, 500);
    expect(await alertsOf(t.tenantId, { userId: billing.userId })).to.deep.equal([]);
    expect(await alertsOf(t.tenantId, { userId: t.viewer.userId })).to.have.length(4);
  });

  it('counts, lists and marks read a member’s portal alerts; nobody else’s', async () => {
    const t = await createWatchTeam();
    const other = await createWatchTeam();
    const service = cradle().alertService;
    const { price: p } = await detectChanges(t, 1000, 1200);
    expect(await service.unreadCount(t.tenantId, t.owner.userId)).to.equal(2);
    const list = await service.list(t.tenantId, t.owner.userId);
    expect(list).to.have.length(2);
    expect(list.every((a) => a.readAt === null)).to.equal(true);
    const priceAlert = list.find((a) => a.change.kind === 'price_change')!;
    expect(priceAlert.change).to.include({ id: p.id, competitorName: 'Boulangerie Rivale', oldPriceCents: 1000, newPriceCents: 1200, priceChangeBp: 2000 });

    // another member, another tenant, or a malformed id: not found
    for (const [tenantId, userId, id] of [
      [t.tenantId, t.viewer.userId, priceAlert.id],
      [other.tenantId, t.owner.userId, priceAlert.id],
      [t.tenantId, t.owner.userId, 'not-a-uuid'],
    ]) {
      let status = 0;
      await service.markRead(tenantId, userId, id).catch((err: { status: number; code: string }) => {
        status = err.status;
        expect(err.code).to.equal('watch.errors.alertNotFound');
      });
      expect(status).to.equal(404);
    }
    expect(await service.unreadCount(t.tenantId, t.owner.userId)).to.equal(2);

    await service.markRead(t.tenantId, t.owner.userId, priceAlert.id);
    await service.markRead(t.tenantId, t.owner.userId, priceAlert.id); // twice is fine
    expect(await service.unreadCount(t.tenantId, t.owner.userId)).to.equal(1);
    expect(await service.list(t.tenantId, t.owner.userId, { unreadOnly: true })).to.have.length(1);
    expect(await service.unreadCount(t.tenantId, t.viewer.userId)).to.equal(2);
    expect(await service.markAllRead(t.tenantId, t.owner.userId)).to.equal(1);
    expect(await service.unreadCount(t.tenantId, t.owner.userId)).to.equal(0);
    expect(await service.unreadCount(t.tenantId, t.viewer.userId)).to.equal(2);
    expect(await service.markChangeRead(t.tenantId, t.viewer.userId, p.id)).to.equal(1);
    expect(await service.unreadCount(t.tenantId, t.viewer.userId)).to.equal(1);
  });

  it('reads preferences with defaults, saves the form, and rejects invalid values with field errors', async () => {
    const t = await createWatchTeam();
    const service = cradle().alertService;
    const defaults = await service.preferences(t.tenantId, t.owner.userId);
    expect(defaults.find((p) => p.changeKind === 'price_change')).to.deep.equal({ changeKind: 'price_change', emailFrequency: 'immediate', portalEnabled: true, minSignificance: 'low' });
    expect(defaults.find((p) => p.changeKind === 'new_post')).to.include({ emailFrequency: 'daily' });

    await service.savePreferences(t.tenantId, t.owner.userId, form({ email_new_post: 'off', portal_text_change: undefined, min_text_change: 'medium' }));
    await service.savePreferences(t.tenantId, t.owner.userId, form({ email_new_post: 'immediate', portal_text_change: undefined, min_text_change: 'medium' })); // updates
    const saved = await service.preferences(t.tenantId, t.owner.userId);
    expect(saved.find((p) => p.changeKind === 'new_post')).to.include({ emailFrequency: 'immediate' });
    expect(saved.find((p) => p.changeKind === 'text_change')).to.include({ portalEnabled: false, minSignificance: 'medium' });
    expect(await service.preferences(t.tenantId, t.viewer.userId)).to.deep.equal(defaults);

    let error: unknown;
    await service.savePreferences(t.tenantId, t.owner.userId, form({ email_price_change: 'hourly', min_new_post: 'urgent' })).catch((e) => (error = e));
    expect(error).to.be.instanceOf(ValidationError);
    expect((error as ValidationError).status).to.equal(422);
    expect((error as ValidationError).fieldErrors).to.deep.equal({ email_price_change: 'watch.errors.invalidEmailFrequency', min_new_post: 'watch.errors.invalidSignificance' });
    expect((await service.preferences(t.tenantId, t.owner.userId)).find((p) => p.changeKind === 'price_change')).to.include({ emailFrequency: 'immediate' });
  });
});
