import { expect } from 'chai';
import { SandboxMailer } from '../../../../src/adapters/mail/sandbox-mailer.js';
import { SmtpMailer } from '../../../../src/adapters/mail/smtp-mailer.js';
import { ConfigError, loadConfig } from '../../../../src/config.js';
import { buildContainer } from '../../../../src/container.js';
import { testConfig, testEnv } from '../../../support/root-hooks.js';
import { TestSmtpServer } from '../../../support/smtp-server.js';

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  expect.fail('expected a ConfigError');
}

describe('Outgoing e-mail configuration', () => {
  it('uses the sandbox when SMTP_URL is not set, with a default sender', () => {
    expect(loadConfig({}).mail).to.deep.equal({ from: { name: 'Cadence', address: 'no-reply@cadence.test' }, smtp: undefined });
  });

  it('reads host, port, credentials (percent-decoded) and pool settings from SMTP_URL and its companions', () => {
    const config = loadConfig({
      SMTP_URL: 'smtp://apikey%40cadence:p%40ss%3Aw0rd@smtp.example.com:2525',
      MAIL_FROM: '"Cadence, Nantes" <bonjour@cadence.example>',
      SMTP_POOL_SIZE: '5',
      SMTP_POOL_RATE: '20',
      PUBLIC_URL: 'https://app.cadence.example',
    });
    expect(config.mail).to.deep.equal({
      from: { name: 'Cadence, Nantes', address: 'bonjour@cadence.example' },
      smtp: {
        host: 'smtp.example.com',
        port: 2525,
        secure: false,
        auth: { user: 'apikey@cadence', pass: 'p@ss:w0rd' },
        requireTls: false,
        maxConnections: 5,
        rateLimit: 20,
        clientName: 'app.cadence.example',
      },
    });
  });

  it('uses implicit TLS on 465 for smtps://, and defaults smtp:// to 587 with STARTTLS required in production', () => {
    const implicit = loadConfig({ SMTP_URL: 'smtps://smtp.example.com', MAIL_FROM: 'no-reply@cadence.example' }).mail;
    expect(implicit.from).to.deep.equal({ address: 'no-reply@cadence.example' });
    expect(implicit.smtp).to.deep.include({ host: 'smtp.example.com', port: 465, secure: true, auth: undefined, maxConnections: 3, rateLimit: 10 });

    const production = { NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(40), SMTP_URL: 'smtp://u:p@smtp.example.com', MAIL_FROM: 'no-reply@cadence.example' };
    expect(loadConfig(production).mail.smtp).to.deep.include({ port: 587, secure: false, requireTls: true });
    expect(loadConfig({ ...production, SMTP_REQUIRE_TLS: 'false' }).mail.smtp?.requireTls).to.equal(false);
  });

  it('names the variable of a bad mail setting', () => {
    expect(configError({ SMTP_URL: 'https://smtp.example.com' }).issues.map((i) => i.variable)).to.deep.equal(['SMTP_URL']);
    expect(configError({ SMTP_URL: 'smtp://smtp.example.com' }).issues).to.deep.equal([{ variable: 'MAIL_FROM', message: 'is required when SMTP_URL is set' }]);
    for (const from of ['Cadence', 'Cadence <pas-une-adresse>', 'a@b.fr, c@d.fr', 'Cadence <a@b.fr> <c@d.fr>']) {
      expect(configError({ MAIL_FROM: from }).issues[0].variable, from).to.equal('MAIL_FROM');
    }
    expect(configError({ SMTP_POOL_RATE: '0' }).issues[0].variable).to.equal('SMTP_POOL_RATE');
  });
});

describe('Mailer wiring (container)', () => {
  it('registers the sandbox mailer when SMTP_URL is not set', () => {
    expect(testEnv().config.mail.smtp).to.equal(undefined);
    expect(testEnv().container.cradle.mailer).to.be.instanceOf(SandboxMailer);
  });

  it('registers the SMTP mailer when SMTP_URL is set, sends through it, and closes its pool on dispose', async () => {
    const smtp = await TestSmtpServer.start({ auth: { user: 'cadence', pass: 'secret' } });
    const container = buildContainer(testConfig({ SMTP_URL: smtp.url, MAIL_FROM: 'Cadence <no-reply@cadence.test>' }), testEnv().db);
    try {
      const { mailer } = container.cradle;
      expect(mailer).to.be.instanceOf(SmtpMailer);
      const receipt = await mailer.send({ tenantId: '00000000-0000-4000-8000-000000000000', to: 'client@exemple.fr', subject: 'Câblé', text: 'ok', kind: 'test' });
      expect(receipt.sandbox).to.equal(false);
      const mail = await smtp.waitFor((m) => m.parsed.messageId === receipt.messageId);
      expect(mail.user).to.equal('cadence');
      expect(mail.parsed.subject).to.equal('Câblé');
    } finally {
      await container.dispose();
      await smtp.close();
    }
  });
});
