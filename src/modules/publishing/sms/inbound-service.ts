import type { Clock } from '../../../shared/clock.js';
import { NotFoundError } from '../../../shared/errors.js';
import type { Logger } from '../../../shared/logger.js';
import type { SmsConnectors } from './connectors.js';
import type { KnexSmsRepository } from './db/knex-sms-repository.js';
import type { InboundRequest } from './provider.js';
import { isE164, keywordOf, stopKeywordOf } from './rules.js';

export interface InboundReport {
  replies: number;
  optedOut: number;
  statuses: number;
}

/**
 * Vendor webhooks: replies (a STOP opts the number out at once in every tenant where it is a contact) and
 * delivery reports. The vendor is authenticated by its adapter before anything is read.
 */
export class SmsInboundService {
  constructor(private readonly deps: { smsRepository: KnexSmsRepository; smsConnectors: SmsConnectors; clock: Clock; logger: Logger }) {}

  async handle(code: string, request: InboundRequest): Promise<InboundReport> {
    if (code !== 'brevo' && code !== 'twilio') throw new NotFoundError();
    const connector = await this.deps.smsConnectors.forWebhook(code);
    if (!connector) throw new NotFoundError();
    const events = connector.provider.parseInbound(request); // throws InboundRejectedError
    const { smsRepository, clock } = this.deps;
    const report: InboundReport = { replies: 0, optedOut: 0, statuses: 0 };
    for (const event of events) {
      if (event.kind === 'status') {
        if (await smsRepository.recordStatus(code, event.providerMessageId, event.status, event.errorCode, clock.now())) report.statuses += 1;
        continue;
      }
      if (!isE164(event.from)) continue;
      if (event.providerMessageId && (await smsRepository.inboundSeen(code, event.providerMessageId))) continue; // a replayed webhook
      const optOut = event.optOut || stopKeywordOf(event.text) !== null;
      const tenants = await smsRepository.tenantsWithPhone(event.from);
      if (tenants.length === 0) this.deps.logger.info({ provider: code }, 'sms reply from a number that is no contact');
      // inbound_sms.provider_message_id is unique across tenants: the first tenant keeps it, written last so a
      // crash part-way lets the vendor's retry redo everything (opting out twice changes nothing).
      const ordered = [...tenants.slice(1), ...tenants.slice(0, 1)];
      for (const { tenantId } of ordered) {
        const result = await smsRepository.recordReply(
          tenantId,
          {
            from: event.from,
            to: event.to,
            body: event.text,
            keyword: keywordOf(event.text),
            optOut,
            provider: code,
            providerMessageId: tenantId === tenants[0].tenantId ? event.providerMessageId : null,
          },
          clock.now(),
        );
        if (result.optedOut) report.optedOut += 1;
      }
      report.replies += 1;
    }
    return report;
  }
}
