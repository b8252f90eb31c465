/**
 * The port every e-mail leaves through (reviewer links, reminders, later newsletters and digests).
 * Adapters: SMTP over nodemailer when SMTP is configured, else the sandbox, which records each message
 * in `sandbox_deliveries` (channel `email`) so the team can see what would have been sent.
 */
export interface MailMessage {
  /** The tenant on whose behalf the message is sent (sandbox rows and logs are scoped to it). */
  tenantId: string;
  to: string;
  subject: string;
  text: string;
  html?: string;
  replyTo?: string;
  headers?: Record<string, string>;
  /** What the message is about, for the sandbox record and the logs (`approval_link`, `approval_reminder`…). */
  kind: string;
}

export interface MailReceipt {
  messageId: string;
  /** True when the message was only recorded (sandbox). */
  sandbox: boolean;
}

export interface Mailer {
  send(message: MailMessage): Promise<MailReceipt>;
}
