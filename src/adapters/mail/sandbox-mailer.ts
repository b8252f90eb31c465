import crypto from 'node:crypto';
import type { Database } from '../db/database.js';
import type { Mailer, MailMessage, MailReceipt } from '../../shared/mailer.js';

/** Records what would have been sent in `sandbox_deliveries`: the default where no SMTP server is configured. */
export class SandboxMailer implements Mailer {
  constructor(private readonly deps: { database: Database }) {}

  async send(message: MailMessage): Promise<MailReceipt> {
    const messageId = `<sandbox-${crypto.randomUUID()}@cadence.local>`;
    await this.deps.database.forTenant(message.tenantId, (trx) =>
      trx('sandboxDeliveries').insert({
        tenantId: message.tenantId,
        channel: 'email',
        recipient: message.to,
        payload: JSON.stringify({
          kind: message.kind,
          subject: message.subject,
          text: message.text,
          html: message.html ?? null,
          replyTo: message.replyTo ?? null,
          headers: message.headers ?? {},
        }),
        fakeExternalId: messageId,
      }),
    );
    return { messageId, sandbox: true };
  }
}
