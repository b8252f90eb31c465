import nodemailer, { type NodemailerError, type SMTPPoolOptions, type Transporter } from 'nodemailer';
import type { Logger } from '../../shared/logger.js';
import { MailDeliveryError, type MailFailure } from '../../shared/mail-delivery-error.js';
import type { Mailer, MailMessage, MailReceipt } from '../../shared/mailer.js';

export interface MailAddress {
  /** Display name (`Cadence`); may be absent. */
  name?: string;
  address: string;
}

/** Read from `SMTP_URL` (`smtp://user:pass@host:587`, `smtps://…` for implicit TLS) and its companions. */
export interface SmtpConfig {
  host: string;
  port: number;
  /** Implicit TLS from the first byte (`smtps://`, usually port 465); otherwise STARTTLS when offered. */
  secure: boolean;
  /** Refuse to talk (and to authenticate) over a connection that did not upgrade with STARTTLS. */
  requireTls: boolean;
  auth?: { user: string; pass: string };
  /** Open connections in the pool. */
  maxConnections: number;
  /** Messages per second across the pool; beyond it sends wait their turn. */
  rateLimit: number;
  /** The name we greet the server with (EHLO); the machine's host name when absent. */
  clientName?: string;
}

export interface SmtpMailerOptions {
  smtp: SmtpConfig;
  from: MailAddress;
  logger: Logger;
  /** Overrides the network timeouts (tests). */
  timeoutsMs?: { connection?: number; greeting?: number; socket?: number };
  /** Certificate authorities to trust instead of the system's (PEM; the tests' throw-away CA). */
  tlsCa?: string;
}

/** Headers the message itself owns: a caller's `headers` may not replace them. */
const RESERVED_HEADERS = new Set([
  'from', 'to', 'cc', 'bcc', 'sender', 'reply-to', 'subject', 'date', 'message-id',
  'mime-version', 'content-type', 'content-transfer-encoding', 'return-path',
]);

/**
 * Sends through an SMTP server with a pool of connections (nodemailer). Retries belong to the callers (the
 * outbox, the newsletter's bounce handling): the pool only re-sends once a message whose pooled connection the
 * server closed under it, and every failure comes out as a `MailDeliveryError` saying whether it is permanent.
 */
export class SmtpMailer implements Mailer {
  private readonly transporter: Transporter;

  constructor(private readonly options: SmtpMailerOptions) {
    const { smtp, timeoutsMs = {} } = options;
    const transport: SMTPPoolOptions & { pool: true } = {
      pool: true,
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure,
      requireTLS: !smtp.secure && smtp.requireTls,
      auth: smtp.auth,
      name: smtp.clientName,
      maxConnections: smtp.maxConnections,
      maxMessages: 100,
      rateLimit: smtp.rateLimit,
      rateDelta: 1000,
      maxRequeues: 1,
      // Below the usual server idle limits (60 s and more), so we close idle connections before the server does.
      idleTimeout: 30_000,
      connectionTimeout: timeoutsMs.connection ?? 10_000,
      greetingTimeout: timeoutsMs.greeting ?? 10_000,
      socketTimeout: timeoutsMs.socket ?? 60_000,
      dnsTimeout: 10_000,
      // The certificate is always checked against the host name; only the trusted authorities may change.
      tls: options.tlsCa ? { ca: options.tlsCa } : undefined,
      disableFileAccess: true,
      disableUrlAccess: true,
    };
    this.transporter = nodemailer.createTransport(transport);
  }

  async send(message: MailMessage): Promise<MailReceipt> {
    const headers = message.headers ?? {};
    for (const name of Object.keys(headers)) {
      if (RESERVED_HEADERS.has(name.toLowerCase())) throw new Error(`SmtpMailer: header ${name} is set by the mailer, not by the caller`);
    }
    const log = this.options.logger.child({ tenantId: message.tenantId, mailKind: message.kind });
    try {
      const info = await this.transporter.sendMail({
        from: { name: this.options.from.name ?? '', address: this.options.from.address },
        to: message.to,
        replyTo: message.replyTo,
        subject: message.subject,
        text: message.text,
        html: message.html,
        headers,
      });
      log.info({ messageId: info.messageId, smtpResponse: info.response }, 'mail sent');
      return { messageId: info.messageId, sandbox: false };
    } catch (err) {
      const failure = toMailDeliveryError(err as NodemailerError, message.to);
      log.warn({ err: failure, failure: failure.failure, permanent: failure.permanent, smtpCode: failure.detail.responseCode }, 'mail not sent');
      throw failure;
    }
  }

  /** Closes the pool (at shutdown): sends in flight finish, queued ones fail as temporary connection failures. */
  close(): void {
    this.transporter.close();
  }
}

/** Classifies what nodemailer throws; its `permanent` flag follows RFC 5321 (5xx but 503). */
export function toMailDeliveryError(err: NodemailerError, recipient: string): MailDeliveryError {
  if (err instanceof MailDeliveryError) return err;
  // When every recipient is refused, the per-recipient reply is the precise one.
  const precise = err.rejectedErrors?.[0] ?? err;
  const responseCode = precise.responseCode ?? err.responseCode;
  const command = precise.command ?? err.command;
  const failure = failureOf(err, command, responseCode);
  // Without a reply code, a refused envelope or message was refused by nodemailer itself (no address, over SIZE).
  const permanent = failure === 'auth' || failure === 'connection' ? false : responseCode !== undefined ? (precise.permanent ?? isPermanentReply(responseCode)) : true;
  return new MailDeliveryError(failure, permanent, {
    responseCode,
    response: precise.response ?? err.response ?? err.message,
    command,
    ...(failure === 'recipient' && { recipient }),
  });
}

function failureOf(err: NodemailerError, command: string | undefined, responseCode: number | undefined): MailFailure {
  if (err.code === 'EAUTH' || err.code === 'ENOAUTH' || err.code === 'EOAUTH2') return 'auth';
  // 421: the server is shutting the channel, whatever the command was.
  if (responseCode === 421) return 'connection';
  if (err.code === 'EENVELOPE' || err.code === 'EMESSAGE') {
    if (command === 'RCPT TO') return 'recipient';
    // Refused before any conversation (no or malformed recipient address).
    if (command === 'API' && err.code === 'EENVELOPE') return 'recipient';
    return 'message';
  }
  return 'connection';
}

function isPermanentReply(code: number): boolean {
  return code >= 500 && code < 600 && code !== 503;
}
