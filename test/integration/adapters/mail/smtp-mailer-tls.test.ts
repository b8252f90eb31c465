import crypto from 'node:crypto';
import { expect } from 'chai';
import { SmtpMailer, type SmtpConfig } from '../../../../src/adapters/mail/smtp-mailer.js';
import { createLogger } from '../../../../src/shared/logger.js';
import { MailDeliveryError } from '../../../../src/shared/mail-delivery-error.js';
import { makeTestCertificates, TestSmtpServer } from '../../../support/smtp-server.js';

/**
 * TLS to the SMTP server, against throw-away certificates made with openssl (skipped without it): implicit TLS
 * (`smtps://`), STARTTLS required, and the certificate checked against the host, never skipped.
 */
describe('SmtpMailer over TLS', function () {
  this.timeout(60_000);
  const logger = createLogger('silent');
  const credentials = { user: 'cadence', pass: 'secret' };
  let certificates: NonNullable<ReturnType<typeof makeTestCertificates>>;
  let wrongName: NonNullable<ReturnType<typeof makeTestCertificates>>;
  const servers: TestSmtpServer[] = [];
  const mailers: SmtpMailer[] = [];

  before(function () {
    const made = makeTestCertificates(['127.0.0.1']);
    if (!made) this.skip();
    certificates = made!;
    wrongName = makeTestCertificates(['smtp.elsewhere.test'])!;
  });
  after(async () => {
    for (const mailer of mailers) mailer.close();
    for (const server of servers) await server.close();
    certificates?.cleanup();
    wrongName?.cleanup();
  });

  async function serve(tls: { key: string; cert: string; implicit?: boolean }): Promise<TestSmtpServer> {
    const server = await TestSmtpServer.start({ auth: credentials, tls });
    servers.push(server);
    return server;
  }

  function mailerFor(server: TestSmtpServer, smtp: Partial<SmtpConfig>, ca = certificates.ca): SmtpMailer {
    const mailer = new SmtpMailer({
      smtp: { host: '127.0.0.1', port: server.port, secure: false, requireTls: false, auth: credentials, maxConnections: 1, rateLimit: 50, ...smtp },
      from: { name: 'Cadence', address: 'no-reply@cadence.test' },
      logger,
      tlsCa: ca,
    });
    mailers.push(mailer);
    return mailer;
  }

  const message = (subject: string) => ({ tenantId: crypto.randomUUID(), to: 'client@exemple.fr', subject, text: 'Bonjour.', kind: 'test' });

  it('speaks TLS from the first byte on an smtps:// server', async () => {
    const server = await serve({ key: certificates.key, cert: certificates.cert, implicit: true });
    const receipt = await mailerFor(server, { secure: true }).send(message('Chiffré dès la connexion'));
    const mail = await server.waitFor((m) => m.parsed.messageId === receipt.messageId);
    expect(mail).to.deep.include({ secure: true, user: 'cadence' });
    expect(mail.parsed.subject).to.equal('Chiffré dès la connexion');
  });

  it('upgrades with STARTTLS before authenticating when TLS is required', async () => {
    const server = await serve({ key: certificates.key, cert: certificates.cert });
    const receipt = await mailerFor(server, { requireTls: true }).send(message('Chiffré après STARTTLS'));
    const mail = await server.waitFor((m) => m.parsed.messageId === receipt.messageId);
    expect(mail).to.deep.include({ secure: true, user: 'cadence' });
  });

  it('refuses a certificate that does not name the server, as a temporary connection failure, and sends nothing', async () => {
    const server = await serve({ key: wrongName.key, cert: wrongName.cert, implicit: true });
    try {
      await mailerFor(server, { secure: true }, wrongName.ca).send(message('Ne doit pas partir'));
      expect.fail('the message was sent');
    } catch (err) {
      expect(err).to.be.instanceOf(MailDeliveryError);
      expect(err).to.deep.include({ failure: 'connection', permanent: false });
      expect((err as MailDeliveryError).detail.response).to.match(/altnames|certificate/i);
    }
    expect(server.messages).to.have.length(0);
  });

  it('refuses a certificate from an authority it does not trust', async () => {
    const server = await serve({ key: certificates.key, cert: certificates.cert, implicit: true });
    try {
      await mailerFor(server, { secure: true }, wrongName.ca).send(message('Ne doit pas partir'));
      expect.fail('the message was sent');
    } catch (err) {
      expect(err).to.deep.include({ failure: 'connection', permanent: false });
      expect((err as MailDeliveryError).detail.response).to.match(/certificate/i);
    }
    expect(server.messages).to.have.length(0);
  });
});
