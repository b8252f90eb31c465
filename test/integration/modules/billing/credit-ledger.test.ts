import crypto from 'node:crypto';
import { expect } from 'chai';
import { allJobs } from '../../../../src/container.js';
import { AppError } from '../../../../src/shared/errors.js';
import { testEnv } from '../../../support/root-hooks.js';
import { createCreditTenant, ledgerOf, prng } from './fixtures.js';

function service() {
  return testEnv().container.cradle.creditService;
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

const key = () => `test-${crypto.randomUUID()}`;

/** Every entry continues from the previous one, and the sums rebuild the account. */
function expectConsistentLedger(ledger: Awaited<ReturnType<typeof ledgerOf>>): void {
  let balance = 0;
  let reserved = 0;
  for (const e of ledger.entries) {
    balance += e.amount;
    reserved += e.reservedDelta;
    expect(e.balanceAfter, `balance after ${e.kind} ${e.id}`).to.equal(balance);
    expect(e.reservedAfter, `reserved after ${e.kind} ${e.id}`).to.equal(reserved);
    expect(e.balanceAfter).to.be.at.least(0);
    expect(e.reservedAfter).to.be.at.least(0);
  }
  expect(ledger.account.balance).to.equal(balance);
  expect(ledger.account.reserved).to.equal(reserved);
  const held = ledger.reservations.filter((r: { status: string }) => r.status === 'held');
  expect(ledger.account.reserved).to.equal(held.reduce((sum: number, r: { amountHeld: number }) => sum + r.amountHeld, 0));
}

describe('Credit ledger', function () {
  this.timeout(60_000);

  describe('under concurrency', () => {
    it('never goes below zero under 50 parallel spends: exactly floor(100/7) reservations, all settled or refunded, the ledger rebuilds the balance', async () => {
      const { tenantId } = await createCreditTenant({ monthlyCredits: 100 });
      const credits = service();
      const seed = Date.now() % 100_000;
      const random = prng(seed);
      const context = `seed ${seed}`;

      const attempts = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) => credits.reserve(tenantId, { amount: 7, task: 'generation', idempotencyKey: `spend-${i}` })),
      );
      const held = attempts.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
      const refused = attempts.flatMap((a) => (a.status === 'rejected' ? [a.reason] : []));
      expect(held, context).to.have.length(Math.floor(100 / 7));
      expect(refused, context).to.have.length(50 - 14);
      for (const err of refused) {
        expect(err).to.be.instanceOf(AppError);
        expect(err.code).to.equal('billing.errors.insufficientCredits');
        expect(err.status).to.equal(402);
        expect(err.params.needed).to.equal(7);
        expect(err.params.balance).to.be.within(0, 6);
      }
      expect(new Set(held.map((r) => r.reservationId)).size).to.equal(14);
      expect((await credits.balance(tenantId)).available).to.equal(100 - 14 * 7);

      // Settle some (below, at or above the hold: the excess competes for what is left) and refund the others, all at once.
      const outcomes = await Promise.all(
        held.map(async (r) => {
          if (random() < 0.35) return { refunded: (await credits.refund(tenantId, r.reservationId, 'failed')).refunded, charged: 0, asked: 0 };
          const actual = Math.floor(random() * 13); // 0…12 against a hold of 7
          const receipt = await credits.settle(tenantId, r.reservationId, actual);
          expect(receipt.charged + receipt.uncovered, context).to.equal(actual);
          return { refunded: 0, charged: receipt.charged, asked: actual };
        }),
      );

      const ledger = await ledgerOf(tenantId);
      const charged = outcomes.reduce((sum, o) => sum + o.charged, 0);
      expect(ledger.account.balance, context).to.equal(100 - charged);
      expect(ledger.account.balance, context).to.be.at.least(0);
      expect(ledger.account.reserved, context).to.equal(0);
      expect(ledger.reservations).to.have.length(14);
      expect(ledger.reservations.every((r: { status: string }) => r.status === 'settled' || r.status === 'refunded'), context).to.equal(true);
      expect(ledger.entries.filter((e: { kind: string }) => e.kind === 'reserve')).to.have.length(14);
      expect(ledger.entries.filter((e: { kind: string }) => e.kind === 'settle' || e.kind === 'refund')).to.have.length(14);
      expect(Math.min(...ledger.entries.map((e: { balanceAfter: number }) => e.balanceAfter)), context).to.be.at.least(0);
      expectConsistentLedger(ledger);
    });

    it('the same idempotency key sent concurrently holds credits once', async () => {
      const { tenantId } = await createCreditTenant({ monthlyCredits: 100 });
      const k = key();
      const receipts = await Promise.all(Array.from({ length: 8 }, () => service().reserve(tenantId, { amount: 10, task: 'planning', idempotencyKey: k })));
      expect(new Set(receipts.map((r) => r.reservationId)).size).to.equal(1);
      expect(receipts.filter((r) => !r.replayed)).to.have.length(1);
      const balance = await service().balance(tenantId);
      expect(balance).to.include({ available: 90, reserved: 10 });
    });
  });

  describe('reserve, settle, refund', () => {
    it('is idempotent: the same key returns the same reservation; settling or refunding twice changes nothing', async () => {
      const { tenantId } = await createCreditTenant({ monthlyCredits: 100 });
      const credits = service();
      const k = key();
      const first = await credits.reserve(tenantId, { amount: 12, task: 'generation', idempotencyKey: k });
      const again = await credits.reserve(tenantId, { amount: 12, task: 'generation', idempotencyKey: k });
      expect(again.reservationId).to.equal(first.reservationId);
      expect(first.replayed).to.equal(false);
      expect(again.replayed).to.equal(true);
      expect(await credits.balance(tenantId)).to.include({ available: 88, reserved: 12 });

      const settled = await credits.settle(tenantId, first.reservationId, 9);
      const settledAgain = await credits.settle(tenantId, first.reservationId, 50);
      expect(settled).to.include({ status: 'settled', charged: 9, replayed: false });
      expect(settledAgain).to.include({ status: 'settled', charged: 9, replayed: true });
      const refundAfterSettle = await credits.refund(tenantId, first.reservationId, 'failed');
      expect(refundAfterSettle).to.include({ status: 'settled', refunded: 0, replayed: true });
      expect(await credits.balance(tenantId)).to.include({ available: 91, reserved: 0 });
      // A replayed key after settlement still answers with the (settled) reservation, and holds nothing.
      expect(await credits.reserve(tenantId, { amount: 12, task: 'generation', idempotencyKey: k })).to.include({ reservationId: first.reservationId, status: 'settled', replayed: true });

      const other = await credits.reserve(tenantId, { amount: 5, task: 'generation', idempotencyKey: key() });
      expect(await credits.refund(tenantId, other.reservationId, 'failed')).to.include({ status: 'refunded', refunded: 5, replayed: false });
      expect(await credits.refund(tenantId, other.reservationId, 'failed')).to.include({ status: 'refunded', refunded: 0, replayed: true });
      expect(await credits.settle(tenantId, other.reservationId, 5)).to.include({ status: 'refunded', charged: 0, replayed: true });
      expect(await credits.balance(tenantId)).to.include({ available: 91, reserved: 0 });

      const ledger = await ledgerOf(tenantId);
      expect(ledger.entries.map((e: { kind: string }) => e.kind)).to.deep.equal(['grant', 'reserve', 'settle', 'reserve', 'refund']);
      expectConsistentLedger(ledger);
    });

    it('a failed call is refunded in full, with its reason in the ledger', async () => {
      const { tenantId } = await createCreditTenant({ monthlyCredits: 50 });
      const { reservationId } = await service().reserve(tenantId, { amount: 20, task: 'seo_analysis', idempotencyKey: key() });
      expect(await service().balance(tenantId)).to.include({ available: 30, reserved: 20 });
      await service().refund(tenantId, reservationId, 'failed');
      expect(await service().balance(tenantId)).to.include({ available: 50, reserved: 0 });
      const [entry] = await service().history(tenantId, { limit: 1 });
      expect(entry).to.include({ kind: 'refund', amount: 20, reservedDelta: -20, balanceAfter: 50, reservedAfter: 0, reservationId, task: 'seo_analysis', memo: 'failed' });
    });

    it('settles below the hold (the difference comes back) and above it (charged from the balance)', async () => {
      const { tenantId } = await createCreditTenant({ monthlyCredits: 100 });
      const credits = service();
      const below = await credits.reserve(tenantId, { amount: 10, task: 'generation', idempotencyKey: key() });
      expect(await credits.settle(tenantId, below.reservationId, 4)).to.include({ charged: 4, uncovered: 0 });
      expect(await credits.balance(tenantId)).to.include({ available: 96, reserved: 0 });
      const [settle] = await credits.history(tenantId, { limit: 1 });
      expect(settle).to.include({ kind: 'settle', amount: 6, reservedDelta: -10, balanceAfter: 96, charged: 4 });

      const above = await credits.reserve(tenantId, { amount: 10, task: 'generation', idempotencyKey: key() });
      expect(await credits.settle(tenantId, above.reservationId, 15)).to.include({ charged: 15, uncovered: 0 });
      expect(await credits.balance(tenantId)).to.include({ available: 81, reserved: 0 });

      const free = await credits.reserve(tenantId, { amount: 3, task: 'moderation', idempotencyKey: key() });
      expect(await credits.settle(tenantId, free.reservationId, 0)).to.include({ charged: 0 });
      expect(await credits.balance(tenantId)).to.include({ available: 81, consumedThisPeriod: 19 });
      expectConsistentLedger(await ledgerOf(tenantId));
    });

    it('above the hold, charges only what the balance allows and never goes below zero', async () => {
      const { tenantId } = await createCreditTenant({ monthlyCredits: 20 });
      const k = key();
      const { reservationId } = await service().reserve(tenantId, { amount: 15, task: 'generation', idempotencyKey: k });
      const receipt = await service().settle(tenantId, reservationId, 30);
      expect(receipt).to.include({ charged: 20, uncovered: 10 });
      expect(await service().balance(tenantId)).to.include({ available: 0, reserved: 0 });
      const refused = await rejection(service().reserve(tenantId, { amount: 1, task: 'generation', idempotencyKey: key() }));
      expect(refused.code).to.equal('billing.errors.insufficientCredits');
      expect(refused.status).to.equal(402);
      expect(refused.params).to.deep.equal({ balance: 0, needed: 1 });
      // With nothing left, a replayed key still answers with its reservation rather than a refusal.
      expect(await service().reserve(tenantId, { amount: 15, task: 'generation', idempotencyKey: k })).to.include({ reservationId, status: 'settled', replayed: true });
      expectConsistentLedger(await ledgerOf(tenantId));
    });

    it('refuses a reservation larger than the balance and one without a credit account, and rejects invalid amounts', async () => {
      const { tenantId } = await createCreditTenant({ monthlyCredits: 10 });
      const tooMuch = await rejection(service().reserve(tenantId, { amount: 11, task: 'generation', idempotencyKey: key() }));
      expect(tooMuch.params).to.deep.equal({ balance: 10, needed: 11 });
      const { tenantId: noAccount } = await createCreditTenant({ monthlyCredits: 10, grantAt: null });
      expect((await rejection(service().reserve(noAccount, { amount: 1, task: 'generation', idempotencyKey: key() }))).code).to.equal('billing.errors.insufficientCredits');
      for (const amount of [0, -3, 1.5, Number.NaN]) {
        expect((await rejection(service().reserve(tenantId, { amount, task: 'generation', idempotencyKey: key() }))).code).to.equal('billing.errors.invalidAmount');
      }
      expect((await rejection(service().settle(tenantId, crypto.randomUUID(), -1))).code).to.equal('billing.errors.invalidAmount');
      expect((await rejection(service().reserve(tenantId, { amount: 1, task: 'generation', idempotencyKey: '' }))).code).to.equal('billing.errors.invalidIdempotencyKey');
      expect(await service().balance(tenantId)).to.include({ available: 10, reserved: 0 });
    });
  });

  describe('tenant isolation', () => {
    it("tenant A's calls cannot touch tenant B's reservation or account: not found, nothing changes", async () => {
      const a = await createCreditTenant({ monthlyCredits: 100 });
      const b = await createCreditTenant({ monthlyCredits: 100 });
      const credits = service();
      const shared = key();
      const ofB = await credits.reserve(b.tenantId, { amount: 30, task: 'generation', idempotencyKey: shared });

      const attempts = [
        () => credits.settle(a.tenantId, ofB.reservationId, 1),
        () => credits.refund(a.tenantId, ofB.reservationId, 'failed'),
        () => credits.settle(a.tenantId, 'not-a-uuid', 1),
      ];
      for (const attempt of attempts) {
        const err = await rejection(attempt());
        expect(err.status).to.equal(404);
        expect(err.code).to.equal('billing.errors.reservationNotFound');
      }
      // The same idempotency key in another tenant is another reservation.
      const ofA = await credits.reserve(a.tenantId, { amount: 5, task: 'generation', idempotencyKey: shared });
      expect(ofA.reservationId).to.not.equal(ofB.reservationId);
      expect(ofA.replayed).to.equal(false);

      expect(await credits.balance(b.tenantId)).to.include({ available: 70, reserved: 30 });
      expect(await credits.balance(a.tenantId)).to.include({ available: 95, reserved: 5 });
      const historyA = await credits.history(a.tenantId, { limit: 100 });
      expect(historyA.some((e) => e.reservationId === ofB.reservationId)).to.equal(false);
      const { database } = testEnv().container.cradle;
      const seenFromA = await database.forTenant(a.tenantId, (trx) => trx('creditReservations').where({ id: ofB.reservationId }).first());
      expect(seenFromA).to.equal(undefined);
      expect((await ledgerOf(b.tenantId)).reservations[0].status).to.equal('held');
    });
  });

  describe('monthly grant and expiry', () => {
    it('grants once per period (run twice, or concurrently: one grant) and expires what is left of the previous period', async () => {
      const t = await createCreditTenant({ monthlyCredits: 100 });
      const credits = service();
      const { reservationId } = await credits.reserve(t.tenantId, { amount: 30, task: 'generation', idempotencyKey: key() });
      await credits.settle(t.tenantId, reservationId, 30);
      expect(await credits.balance(t.tenantId)).to.include({ available: 70, monthlyGrant: 100 });

      const again = await credits.grantMonthly(t.tenantId, new Date());
      expect(again).to.include({ granted: 0, expired: 0, skipped: 'notDue' });

      const nextMonth = new Date(t.periodEnd.getTime() + 24 * 3600_000);
      const [first, second] = await Promise.all([credits.grantMonthly(t.tenantId, nextMonth), credits.grantMonthly(t.tenantId, nextMonth)]);
      const outcomes = [first, second].sort((x, y) => y.granted - x.granted);
      expect(outcomes[0]).to.include({ granted: 100, expired: 70 });
      expect(outcomes[1]).to.include({ granted: 0, expired: 0, skipped: 'notDue' });
      expect(outcomes[0].periodStart!.toISOString()).to.equal(t.periodEnd.toISOString());
      expect(await credits.grantMonthly(t.tenantId, new Date(nextMonth.getTime() + 3600_000))).to.include({ granted: 0 });

      const balance = await credits.balance(t.tenantId);
      expect(balance).to.include({ available: 100, reserved: 0 });
      expect(balance.periodStart!.toISOString()).to.equal(t.periodEnd.toISOString());
      expect(balance.periodEnd!.getTime()).to.be.greaterThan(t.periodEnd.getTime());

      const ledger = await ledgerOf(t.tenantId);
      expect(ledger.entries.map((e: { kind: string; amount: number }) => `${e.kind}:${e.amount}`)).to.deep.equal([
        'grant:100',
        'reserve:-30',
        'settle:0',
        'expire:-70',
        'grant:100',
      ]);
      expectConsistentLedger(ledger);
    });

    it('keeps credits held by calls in flight across the reset; their unused part comes back in the new period', async () => {
      const t = await createCreditTenant({ monthlyCredits: 50 });
      const credits = service();
      const { reservationId } = await credits.reserve(t.tenantId, { amount: 20, task: 'generation', idempotencyKey: key() });
      const outcome = await credits.grantMonthly(t.tenantId, new Date(t.periodEnd.getTime() + 1000));
      expect(outcome).to.include({ granted: 50, expired: 30 });
      expect(await credits.balance(t.tenantId)).to.include({ available: 50, reserved: 20 });
      await credits.settle(t.tenantId, reservationId, 5);
      expect(await credits.balance(t.tenantId)).to.include({ available: 65, reserved: 0 });
      expectConsistentLedger(await ledgerOf(t.tenantId));
    });

    it('resetDuePeriods finds the tenants whose period has ended (platform context) and resets each in its own context', async () => {
      const now = new Date();
      const lastMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
      const t = await createCreditTenant({ monthlyCredits: 40, periodStart: lastMonth, grantAt: new Date(lastMonth.getTime() + 3600_000) });
      const current = await createCreditTenant({ monthlyCredits: 40 });
      expect(await service().balance(t.tenantId)).to.include({ available: 40 });

      const { creditRepository } = testEnv().container.cradle;
      const due = await creditRepository.tenantsDueForReset(now);
      expect(due).to.include(t.tenantId);
      expect(due).to.not.include(current.tenantId);
      const result = await service().resetDuePeriods(now);
      expect(result.due).to.be.at.least(1);
      const balance = await service().balance(t.tenantId);
      expect(balance).to.include({ available: 40 });
      expect(balance.periodStart!.getTime()).to.be.at.most(now.getTime());
      expect(balance.periodEnd!.getTime()).to.be.greaterThan(now.getTime());
      expect((await ledgerOf(t.tenantId)).entries.map((e: { kind: string }) => e.kind)).to.deep.equal(['grant', 'expire', 'grant']);
      expect((await ledgerOf(current.tenantId)).entries.map((e: { kind: string }) => e.kind)).to.deep.equal(['grant']);

      expect(await creditRepository.tenantsDueForReset(now)).to.not.include(t.tenantId);
      await service().resetDuePeriods(now);
      expect((await ledgerOf(t.tenantId)).entries).to.have.length(3);
    });

    it('a tenant without a credit account gets one, with the grant, from the reset', async () => {
      const t = await createCreditTenant({ monthlyCredits: 25, grantAt: null });
      await service().resetDuePeriods(new Date());
      expect(await service().balance(t.tenantId)).to.include({ available: 25, monthlyGrant: 25 });
    });
  });

  describe('stale reservations', () => {
    it('refunds holds past their expiry (a crashed call never keeps credits) and leaves live ones', async () => {
      const { tenantId } = await createCreditTenant({ monthlyCredits: 100 });
      const credits = service();
      const stale = await credits.reserve(tenantId, { amount: 10, task: 'generation', idempotencyKey: key(), ttlMs: 1000 });
      const live = await credits.reserve(tenantId, { amount: 15, task: 'generation', idempotencyKey: key(), ttlMs: 3600_000 });
      const result = await credits.expireStaleReservations(new Date(Date.now() + 5000));
      expect(result.refunded).to.be.at.least(1);
      expect(result.failed).to.equal(0);
      const ledger = await ledgerOf(tenantId);
      const byId = new Map(ledger.reservations.map((r: { id: string }) => [r.id, r]));
      expect(byId.get(stale.reservationId)).to.include({ status: 'refunded' });
      expect(byId.get(live.reservationId)).to.include({ status: 'held' });
      expect(ledger.account).to.include({ balance: 85, reserved: 15 });
      expect(ledger.entries.at(-1)).to.include({ kind: 'refund', memo: 'expired', amount: 10 });
      // A late settle of the expired hold charges nothing more.
      expect(await credits.settle(tenantId, stale.reservationId, 10)).to.include({ status: 'refunded', charged: 0, replayed: true });
      expectConsistentLedger(await ledgerOf(tenantId));
    });
  });

  describe('credits for a cost', () => {
    it('rounds up to whole credits at the seeded rate: 0 for a free call, at least 1 for a paid one', async () => {
      const credits = service();
      expect(await credits.creditsForCost(0, 'USD')).to.equal(0);
      expect(await credits.creditsForCost(1, 'USD')).to.equal(1);
      expect(await credits.creditsForCost(10_000, 'USD')).to.equal(1);
      expect(await credits.creditsForCost(10_001, 'USD')).to.equal(2);
      expect(await credits.creditsForCost(45_000, 'USD')).to.equal(5);
    });

    it('uses the latest rate already in effect, and refuses a currency without one', async () => {
      const { database } = testEnv().container.cradle;
      await database.asPlatform((trx) =>
        trx('creditRates').insert([
          { currency: 'XTS', microsPerCredit: 1000, effectiveFrom: new Date('2020-01-01T00:00:00Z') },
          { currency: 'XTS', microsPerCredit: 2000, effectiveFrom: new Date('2025-01-01T00:00:00Z') },
          { currency: 'XTS', microsPerCredit: 5000, effectiveFrom: new Date(Date.now() + 365 * 24 * 3600_000) },
        ]),
      );
      expect(await service().creditsForCost(4000, 'XTS')).to.equal(2);
      expect(await service().creditsForCost(4001, 'XTS')).to.equal(3);
      expect((await rejection(service().creditsForCost(100, 'XXX'))).code).to.equal('billing.errors.noCreditRate');
      expect((await rejection(service().creditsForCost(-1, 'USD'))).code).to.equal('billing.errors.invalidCost');
    });
  });

  describe('regeneration cap', () => {
    it('counts regenerations per content up to the plan cap, then refuses', async () => {
      const a = await createCreditTenant({ monthlyCredits: 10, regenerationCap: 2 });
      const b = await createCreditTenant({ monthlyCredits: 10, regenerationCap: 2 });
      const contentId = crypto.randomUUID();
      const credits = service();
      expect(await credits.regenerationsLeft(a.tenantId, contentId)).to.deep.equal({ cap: 2, used: 0, left: 2 });
      expect(await credits.countRegeneration(a.tenantId, contentId)).to.deep.equal({ cap: 2, used: 1, left: 1 });
      expect(await credits.countRegeneration(a.tenantId, contentId)).to.deep.equal({ cap: 2, used: 2, left: 0 });
      const refused = await rejection(credits.countRegeneration(a.tenantId, contentId));
      expect(refused.code).to.equal('billing.errors.regenerationCapReached');
      expect(refused.status).to.equal(409);
      expect(await credits.regenerationsLeft(a.tenantId, contentId)).to.deep.equal({ cap: 2, used: 2, left: 0 });
      // Another content, and the same content id in another tenant, have their own counters.
      expect((await credits.regenerationsLeft(a.tenantId, crypto.randomUUID())).left).to.equal(2);
      expect((await credits.regenerationsLeft(b.tenantId, contentId)).left).to.equal(2);
    });

    it('holds under concurrency: never more regenerations than the cap', async () => {
      const { tenantId } = await createCreditTenant({ monthlyCredits: 10, regenerationCap: 3 });
      const contentId = crypto.randomUUID();
      const results = await Promise.allSettled(Array.from({ length: 10 }, () => service().countRegeneration(tenantId, contentId)));
      expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(3);
      expect((await service().regenerationsLeft(tenantId, contentId)).used).to.equal(3);
    });
  });

  describe('jobs', () => {
    it('are registered: period reset hourly, stale holds every five minutes', () => {
      const jobs = allJobs(testEnv().container.cradle).filter((j) => j.name.startsWith('billing:'));
      expect(jobs.map((j) => [j.name, j.every])).to.deep.equal([
        ['billing:reset-credit-periods', '1 hour'],
        ['billing:expire-reservations', '5 minutes'],
        ['billing:apply-period-ends', '1 hour'],
        ['billing:issue-invoices', '0 6 * * *'],
      ]);
    });
  });
});
