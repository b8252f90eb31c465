import crypto from 'node:crypto';
import net from 'node:net';
import { expect } from 'chai';
import type { AddressObject } from 'mailparser';
import { SmtpMailer, type SmtpConfig } from '../../../../src/adapters/mail/smtp-mailer.js';
import { createLogger } from '../../../../src/shared/logger.js';
import { MailDeliveryError, type MailFailure } from '../../../../src/shared/mail-delivery-error.js';
import type { MailMessage } from '../../../../src/shared/mailer.js';
import { TestSmtpServer } from '../../../support/smtp-server.js';

const FROM = { name: 'Cadence', address: 'no-reply@cadence.test' };
const CREDENTIALS = { user: 'cadence', pass: 'mot-de-passe secret' };

function smtpOf(server: { port: number }, overrides: Partial<SmtpConfig> = {}): SmtpConfig {
  return { host: '127.0.0.1', port: server.port, secure: false, requireTls: false, auth: CREDENTIALS, maxConnections: 2, rateLimit: 50, ...overrides };
}

function message(overrides: Partial<MailMessage> = {}): MailMessage {
  return {
    tenantId: crypto.randomUUID(),
    to: `client-${crypto.randomBytes(4).toString('hex')}@exemple.fr`,
    subject: 'Bonjour',
    text: 'Bonjour.',
    kind: 'test',
    ...overrides,
  };
}

async function failureOf(promise: Promise<unknown>, failure: MailFailure, permanent: boolean): Promise<MailDeliveryError> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(MailDeliveryError);
    const error = err as MailDeliveryError;
    expect({ failure: error.failure, permanent: error.permanent }).to.deep.equal({ failure, permanent });
    expect(error.code).to.equal(`mail.errors.${failure}`);
    return error;
  }
  expect.fail('the message was sent');
}

function firstAddress(field: AddressObject | AddressObject[] | undefined) {
  const object = Array.isArray(field) ? field[0] : field;
  return object?.value[0];
}

/** Listens on 127.0.0.1 and never says a word: the client waits for a greeting that does not come. */
async function silentServer(): Promise<net.Server> {
  const server = net.createServer(() => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

describe('SmtpMailer (against a real SMTP server)', () => {
  const logger = createLogger('silent');
  let smtp: TestSmtpServer;
  let mailer: SmtpMailer;
  const extraMailers: SmtpMailer[] = [];

  function makeMailer(overrides: Partial<SmtpConfig> = {}, timeoutsMs?: { greeting?: number; connection?: number }): SmtpMailer {
    const extra = new SmtpMailer({ smtp: smtpOf(smtp, overrides), from: FROM, logger, timeoutsMs });
    extraMailers.push(extra);
    return extra;
  }

  before(async () => {
    smtp = await TestSmtpServer.start({ auth: CREDENTIALS });
    mailer = new SmtpMailer({ smtp: smtpOf(smtp), from: FROM, logger });
  });
  afterEach(() => smtp.reset());
  after(async () => {
    mailer.close();
    for (const extra of extraMailers) extra.close();
    await smtp.close();
  });

  it('sends text and HTML alternatives with the configured sender, the reply-to, custom headers and a French subject', async () => {
    const subject = 'Votre publication « Fête de l’été » est prête — à valider avant jeudi';
    const receipt = await mailer.send(
      message({
        to: 'Élodie.Martin@boulangerie-martin.fr',
        subject,
        text: 'Bonjour Élodie,\n\nLa publication est prête : relisez-la et validez-la.\n\nÀ bientôt !',
        html: '<p>Bonjour Élodie,</p><p>La publication est prête : <a href="https://cadence.test/r/abc">relisez-la</a>.</p>',
        replyTo: 'Agence Lumière <contact@agence-lumiere.fr>',
        headers: {
          'List-Unsubscribe': '<https://cadence.test/u/abc>, <mailto:unsubscribe@cadence.test?subject=abc>',
          'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
          'X-Cadence-Kind': 'approval_link',
        },
      }),
    );

    expect(receipt.sandbox).to.equal(false);
    expect(receipt.messageId).to.match(/^<[^<>@\s]+@cadence\.test>$/);
    expect(smtp.messages).to.have.length(1);
    const [mail] = smtp.messages;
    expect(mail.user).to.equal(CREDENTIALS.user);
    expect(mail.envelope).to.deep.equal({ from: 'no-reply@cadence.test', to: ['Élodie.Martin@boulangerie-martin.fr'] });
    expect(mail.parsed.messageId).to.equal(receipt.messageId);
    expect(mail.parsed.subject).to.equal(subject);
    // The subject travels as RFC 2047 encoded words, never as raw 8-bit bytes in the header.
    expect(mail.raw).to.match(/^Subject: =\?UTF-8\?/m);
    expect(firstAddress(mail.parsed.from)).to.deep.include({ name: 'Cadence', address: 'no-reply@cadence.test' });
    expect(firstAddress(mail.parsed.replyTo)).to.deep.include({ name: 'Agence Lumière', address: 'contact@agence-lumiere.fr' });
    expect(mail.raw).to.match(/^Content-Type: multipart\/alternative/m);
    expect(mail.parsed.text?.trim()).to.equal('Bonjour Élodie,\n\nLa publication est prête : relisez-la et validez-la.\n\nÀ bientôt !');
    expect(mail.parsed.html).to.include('<a href="https://cadence.test/r/abc">relisez-la</a>');
    expect(mail.parsed.headers.get('x-cadence-kind')).to.equal('approval_link');
    const unfolded = mail.raw.replace(/\r?\n[ \t]+/g, ' ');
    expect(unfolded).to.match(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r?$/m);
    expect(unfolded).to.match(/^List-Unsubscribe: <https:\/\/cadence\.test\/u\/abc>, <mailto:unsubscribe@cadence\.test\?subject=abc>\r?$/m);
  });

  it('sends a text-only message as a single text part', async () => {
    await mailer.send(message({ subject: 'Rappel', text: 'Trois publications attendent votre validation.' }));
    const [mail] = smtp.messages;
    expect(mail.raw).to.match(/^Content-Type: text\/plain; charset=utf-8/m);
    expect(mail.parsed.html).to.equal(false);
    expect(mail.parsed.text?.trim()).to.equal('Trois publications attendent votre validation.');
  });

  it('keeps a header value on its line: a line break cannot smuggle in another header or recipient', async () => {
    await mailer.send(message({ to: 'client@exemple.fr', headers: { 'X-Campaign': 'printemps\r\nBcc: intrus@exemple.com' } }));
    const [mail] = smtp.messages;
    expect(mail.envelope.to).to.deep.equal(['client@exemple.fr']);
    expect(mail.raw).not.to.match(/^Bcc:/im);
    expect(mail.parsed.headers.get('x-campaign')).to.equal('printemps Bcc: intrus@exemple.com');
  });

  it('refuses caller headers that would replace what the mailer sets (sender, recipients, subject…) and sends nothing', async () => {
    for (const name of ['From', 'bcc', 'Subject', 'Message-ID']) {
      try {
        await mailer.send(message({ headers: { [name]: 'x@exemple.com' } }));
        expect.fail(`${name} was accepted`);
      } catch (err) {
        expect((err as Error).message).to.include(`header ${name} is set by the mailer`);
      }
    }
    expect(smtp.messages).to.have.length(0);
  });

  it('reports a recipient refused with 550 as a permanent failure about that recipient (a hard bounce)', async () => {
    smtp.rejectRecipient('parti@exemple.fr', 550);
    const error = await failureOf(mailer.send(message({ to: 'parti@exemple.fr' })), 'recipient', true);
    expect(error.detail).to.deep.include({ responseCode: 550, command: 'RCPT TO', recipient: 'parti@exemple.fr' });
    expect(error.detail.response).to.include('Mailbox unavailable');
    expect(error.status).to.equal(422);
    expect(error.params).to.deep.equal({ recipient: 'parti@exemple.fr' });
    expect(smtp.messages).to.have.length(0);
  });

  it('reports a recipient deferred with 451 as a temporary failure, and the same recipient goes through once accepted', async () => {
    smtp.rejectRecipient('occupe@exemple.fr', 451);
    const error = await failureOf(mailer.send(message({ to: 'occupe@exemple.fr' })), 'recipient', false);
    expect(error.detail.responseCode).to.equal(451);
    expect(error.status).to.equal(503);

    smtp.reset();
    await mailer.send(message({ to: 'occupe@exemple.fr', subject: 'Deuxième essai' }));
    expect(smtp.messages.map((m) => m.parsed.subject)).to.deep.equal(['Deuxième essai']);
  });

  it('reports a message larger than the server accepts as a permanent failure of the message', async () => {
    const small = await TestSmtpServer.start({ auth: CREDENTIALS, maxSize: 2_000 });
    try {
      const sender = makeMailer({ port: small.port });
      const error = await failureOf(sender.send(message({ text: 'é'.repeat(5_000) })), 'message', true);
      expect(error.detail).to.deep.include({ responseCode: 552, command: 'DATA' });
      expect(error.detail).not.to.have.property('recipient');
      expect(small.messages).to.have.length(0);
    } finally {
      await small.close();
    }
  });

  it('reports refused credentials as an authentication failure that is not the message’s fault (temporary)', async () => {
    const sender = makeMailer({ auth: { user: CREDENTIALS.user, pass: 'wrong' } });
    const error = await failureOf(sender.send(message()), 'auth', false);
    expect(error.detail.responseCode).to.equal(535);
    expect(error.status).to.equal(502);
    expect(smtp.messages).to.have.length(0);
  });

  it('refuses to send in clear text when TLS is required and the server offers no STARTTLS', async () => {
    const sender = makeMailer({ requireTls: true });
    const error = await failureOf(sender.send(message()), 'connection', false);
    expect(error.detail.command).to.equal('STARTTLS');
    expect(smtp.messages).to.have.length(0);
  });

  it('reports an unreachable server as a temporary connection failure', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as net.AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));

    const error = await failureOf(makeMailer({ port }).send(message()), 'connection', false);
    expect(error.status).to.equal(503);
  });

  it('gives up on a server that accepts the connection but never greets, as a temporary connection failure', async () => {
    const silent = await silentServer();
    try {
      const { port } = silent.address() as net.AddressInfo;
      await failureOf(makeMailer({ port }, { greeting: 300 }).send(message()), 'connection', false);
    } finally {
      silent.close();
    }
  });

  it('delivers concurrent sends over the pool, each with its own Message-ID', async () => {
    const recipients = Array.from({ length: 6 }, (_, i) => `abonne-${i}@exemple.fr`);
    const receipts = await Promise.all(recipients.map((to) => mailer.send(message({ to, subject: `Lettre pour ${to}` }))));
    expect(new Set(receipts.map((r) => r.messageId)).size).to.equal(6);
    for (const [i, to] of recipients.entries()) {
      const mail = await smtp.waitFor((m) => m.envelope.to.includes(to));
      expect(mail.parsed.messageId).to.equal(receipts[i].messageId);
      expect(mail.parsed.subject).to.equal(`Lettre pour ${to}`);
    }
  });

  it('holds sends beyond the rate limit (messages per second) until the next window instead of failing them', async () => {
    const limited = makeMailer({ rateLimit: 2, maxConnections: 1 });
    const started = Date.now();
    await Promise.all([0, 1, 2].map((i) => limited.send(message({ to: `lent-${i}@exemple.fr` }))));
    expect(smtp.messages).to.have.length(3);
    // The third message had to wait for the next one-second window.
    expect(Date.now() - started).to.be.at.least(900);
  });
});
