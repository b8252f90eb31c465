import { AppError } from './errors.js';

/**
 * What went wrong when a message left through the `Mailer` port:
 * - `recipient`: the server refused the recipient (RCPT TO) — with `permanent`, a hard bounce for that address;
 * - `message`: the server refused the sender or the content (MAIL FROM, DATA: too large, spam…);
 * - `auth`: the server refused our credentials (an operator's problem, not the message's);
 * - `connection`: the server could not be reached or dropped us (network, TLS, timeout, 421).
 */
export type MailFailure = 'recipient' | 'message' | 'auth' | 'connection';

/**
 * A message that could not be handed to the mail server. `permanent` says whether sending the same message
 * again can succeed: true only when the server definitively refused it (a 5xx reply, 503 aside); a 4xx reply,
 * a network failure or bad credentials are temporary — the message itself is fine and a later attempt may pass.
 * The code is the i18n key `mail.errors.<failure>`.
 */
export class MailDeliveryError extends AppError {
  constructor(
    readonly failure: MailFailure,
    readonly permanent: boolean,
    readonly detail: {
      /** The SMTP reply code, when the server answered (550, 451…). */
      responseCode?: number;
      /** The server's reply, as received. */
      response?: string;
      /** The SMTP command that failed (`RCPT TO`, `DATA`, `CONN`…). */
      command?: string;
      /** The refused recipient (`recipient` failures). */
      recipient?: string;
    } = {},
  ) {
    super(`mail.errors.${failure}`, statusOf(failure, permanent), detail.recipient ? { recipient: detail.recipient } : {});
    this.name = 'MailDeliveryError';
    this.message = `${this.code} (${permanent ? 'permanent' : 'temporary'})${detail.response ? `: ${detail.response}` : ''}`;
  }
}

function statusOf(failure: MailFailure, permanent: boolean): number {
  if (failure === 'auth') return 502;
  if (failure === 'connection' || !permanent) return 503;
  return 422;
}
