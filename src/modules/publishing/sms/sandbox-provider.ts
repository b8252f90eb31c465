import crypto from 'node:crypto';
import type { Database } from '../../../adapters/db/database.js';
import { analyzeSms } from '../../studio/sms-segments.js';
import { InboundRejectedError, type InboundRequest, type InboundSmsEvent, type OutgoingSms, type SmsProvider, type SmsSendResult } from './provider.js';

/** Records what would have been sent in `sandbox_deliveries` (channel sms): the default without an active connector. */
export class SandboxSmsProvider implements SmsProvider {
  readonly code = 'sandbox' as const;

  constructor(private readonly database: Database) {}

  async send(message: OutgoingSms): Promise<SmsSendResult> {
    const externalId = `sandbox-sms-${crypto.randomUUID()}`;
    await this.database.forTenant(message.tenantId, (trx) =>
      trx('sandboxDeliveries').insert({
        tenantId: message.tenantId,
        channel: 'sms',
        recipient: message.to,
        payload: JSON.stringify({ sender: message.from, recipient: message.to, content: message.text, idempotencyKey: message.idempotencyKey }),
        fakeExternalId: externalId,
      }),
    );
    return { externalId, segments: Math.max(1, analyzeSms(message.text).segments) };
  }

  /** Nothing calls the sandbox from outside. */
  parseInbound(_request: InboundRequest): InboundSmsEvent[] {
    throw new InboundRejectedError('the sandbox has no webhook');
  }
}
