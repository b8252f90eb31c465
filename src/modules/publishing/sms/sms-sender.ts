import type { Clock } from '../../../shared/clock.js';
import type { Logger } from '../../../shared/logger.js';
import type { SmsConnectors } from './connectors.js';
import type { KnexSmsRepository } from './db/knex-sms-repository.js';
import { SmsSendError } from './provider.js';
import { nextAllowedSendTime } from './rules.js';

/** A claim lasts this long: far beyond the provider call's deadline, so a live sender always reports first. */
export const SEND_LEASE_MS = 10 * 60_000;
export const MAX_ATTEMPTS = 8;
const DEFAULT_RATE_PER_SECOND = 5;
const BATCH = 200;

export interface SendDueReport {
  sent: number;
  retried: number;
  failed: number;
  blocked: number;
  deferred: number;
  abandoned: number;
}

/**
 * The `sms:send-due` worker: sends every due message exactly once. Each message is claimed by a conditional
 * update before the call (consent and quiet hours re-checked at that moment, for that message's own send time),
 * recorded `sent` with the provider's id after it, and put back with backoff on a temporary failure.
 */
export class SmsSender {
  constructor(private readonly deps: { smsRepository: KnexSmsRepository; smsConnectors: SmsConnectors; clock: Clock; logger: Logger }) {}

  async sendDue(): Promise<SendDueReport> {
    const { smsRepository, smsConnectors, clock, logger } = this.deps;
    const report: SendDueReport = { sent: 0, retried: 0, failed: 0, blocked: 0, deferred: 0, abandoned: await smsRepository.failAbandoned(clock.now()) };
    const due = await smsRepository.due(clock.now(), BATCH);
    if (due.length === 0) return report;
    const { provider, settings } = await smsConnectors.active();
    const interval = 1000 / (typeof settings.ratePerSecond === 'number' && settings.ratePerSecond > 0 ? settings.ratePerSecond : DEFAULT_RATE_PER_SECOND);
    const zones = new Map<string, string>();
    let lastSendAt = 0;
    for (const { id, tenantId } of due) {
      if (!zones.has(tenantId)) zones.set(tenantId, (await smsRepository.tenantProfile(tenantId)).timezone);
      const wait = lastSendAt + interval - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const now = clock.now();
      const claim = await smsRepository.claim(tenantId, id, now, nextAllowedSendTime(now, zones.get(tenantId)!), new Date(now.getTime() + SEND_LEASE_MS), provider.code);
      if (claim.outcome === 'blocked') report.blocked += 1;
      if (claim.outcome === 'deferred') report.deferred += 1;
      if (claim.outcome !== 'claimed') continue;
      const message = claim.message;
      lastSendAt = Date.now();
      try {
        const result = await provider.send({ tenantId, to: message.toPhone, from: message.senderId ?? 'Cadence', text: message.body, idempotencyKey: message.idempotencyKey });
        await smsRepository.markSent(tenantId, id, clock.now(), result);
        report.sent += 1;
      } catch (err) {
        const error = err instanceof SmsSendError ? err : new SmsSendError('temporary', 'sms.errors.providerUnavailable', (err as Error).message);
        const retry = error.kind === 'temporary' && message.attempts < MAX_ATTEMPTS;
        const after = error.options.retryAfterMs ?? Math.min(30_000 * 2 ** (message.attempts - 1), 3_600_000);
        await smsRepository.release(tenantId, id, clock.now(), retry ? new Date(clock.now().getTime() + after) : null, { code: error.code, message: error.message });
        if (retry) report.retried += 1;
        else report.failed += 1;
        logger.warn({ tenantId, smsMessageId: id, kind: error.kind, code: error.code, err: error.message }, 'sms send failed');
      }
    }
    return report;
  }
}
