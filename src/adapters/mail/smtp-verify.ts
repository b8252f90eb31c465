import nodemailer from 'nodemailer';

export interface SmtpVerifyTarget {
  host: string;
  port: number;
  /** Implicit TLS from the first byte (usually 465); otherwise STARTTLS when the server offers it. */
  secure: boolean;
  user?: string;
  pass?: string;
  timeoutMs?: number;
}

/**
 * Connects, greets and authenticates (when credentials are given) without sending anything: the super admin's
 * "test connection" of an SMTP account. Never throws; the message says what the server answered.
 */
export async function verifySmtp(target: SmtpVerifyTarget): Promise<{ ok: boolean; message: string }> {
  const timeout = target.timeoutMs ?? 10_000;
  const transport = nodemailer.createTransport({
    host: target.host,
    port: target.port,
    secure: target.secure,
    auth: target.user ? { user: target.user, pass: target.pass ?? '' } : undefined,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
  });
  try {
    await transport.verify();
    return { ok: true, message: `${target.host}:${target.port} accepted the connection${target.user ? ' and the credentials' : ''}` };
  } catch (err) {
    const e = err as { code?: string; responseCode?: number; message?: string };
    const detail = [e.code, e.responseCode].filter(Boolean).join(' ');
    return { ok: false, message: `${detail ? `${detail}: ` : ''}${String(e.message ?? err)}`.slice(0, 500) };
  } finally {
    transport.close();
  }
}
