import { asValue, type AwilixContainer } from 'awilix';
import { expect } from 'chai';
import type { Express } from 'express';
import supertest from 'supertest';
import { createApp } from '../../../../../src/app.js';
import { buildContainer, type Cradle } from '../../../../../src/container.js';
import type { NewsletterSender, NewsletterService } from '../../../../../src/modules/publishing/newsletter/index.js';
import { AppError } from '../../../../../src/shared/errors.js';
import { testConfig, testEnv } from '../../../../support/root-hooks.js';
import { TestSmtpServer, type ReceivedMail } from '../../../../support/smtp-server.js';
import { createTenant } from '../../../../support/tenants.js';
import { addNewsletterContent, listWithContacts, MovableClock, newsletterRow, recipientRows } from './newsletter-support.js';

function header(mail: ReceivedMail, name: string): string | undefined {
  const line = mail.parsed.headerLines.find((h) => h.key === name.toLowerCase())?.line;
  return line?.replace(/\r?\n[ \t]+/g, ' ').replace(/^[^:]+:\s*/, '');
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  expect.fail('expected an AppError');
}

describe('Newsletter sending (real SMTP)', () => {
  let smtp: TestSmtpServer;
  let container: AwilixContainer<Cradle>;
  let app: Express;
  let service: NewsletterService;
  let sender: NewsletterSender;
  let tenantId: string;
  const clock = new MovableClock();

  before(async () => {
    smtp = await TestSmtpServer.start();
    container = buildContainer(
      testConfig({ SMTP_URL: smtp.url, MAIL_FROM: 'Boulangerie <newsletter@cadence.test>', PUBLIC_URL: 'https://app.cadence.example' }),
      testEnv().db,
      { clock: asValue(clock) },
    );
    app = createApp(container.cradle);
    service = container.resolve<NewsletterService>('newsletterService');
    sender = container.resolve<NewsletterSender>('newsletterSender');
    tenantId = (await createTenant(container.cradle.database, { name: 'Boulangerie <Martin> & Fils' })).id;
  });

  after(async () => {
    await container.dispose();
    await smtp.close();
  });

  beforeEach(() => smtp.reset());

  /** Runs the job until the newsletter is sent (each run a minute later), at most `runs` times. */
  async function sendAll(newsletterId: string, runs = 5): Promise<void> {
    for (let i = 0; i < runs; i += 1) {
      await sender.sendDue();
      if ((await newsletterRow(container.cradle, tenantId, newsletterId)).status === 'sent') return;
      clock.advance(61_000);
    }
  }

  it('prepares a frozen draft from the approved content and sends each recipient a personalised copy', async () => {
    const { listId, contacts } = await listWithContacts(container.cradle, tenantId, 2);
    const contentId = await addNewsletterContent(container.cradle, tenantId);
    const draft = await service.prepare(tenantId, contentId, listId, { ratePerMinute: 100 });
    expect(draft).to.deep.include({ status: 'draft', subject: 'Le pain de saison est là', preheader: 'Fougasse, brioche et nouveautés', recipientCount: 2, ratePerMinute: 100, listId });
    expect(draft.renderedHtml).to.include('Boulangerie &lt;Martin&gt; &amp; Fils');
    // links were tagged and shortened before rendering
    expect(draft.renderedHtml).to.not.include('https://boulangerie.example/carte');
    const preparedAgain = await service.prepare(tenantId, contentId, listId, { ratePerMinute: 50 });
    expect(preparedAgain.id).to.equal(draft.id);

    const sending = await service.send(tenantId, draft.id);
    expect(sending.status).to.equal('sending');
    expect((await recipientRows(container.cradle, tenantId, draft.id)).map((r) => [r.email, r.status])).to.deep.equal(contacts.map((c) => [c.email, 'queued']));
    expect((await rejection(service.send(tenantId, draft.id))).code).to.equal('newsletter.errors.alreadySent');

    await sendAll(draft.id);
    expect(smtp.messages).to.have.length(2);
    const mail = await smtp.waitFor((m) => m.envelope.to.includes(contacts[0].email));
    expect(mail.parsed.subject).to.equal('Le pain de saison est là');
    expect(mail.parsed.html).to.be.a('string').and.include('Les nouveautés de novembre').and.include('Vous recevez cet e-mail car');
    expect(mail.parsed.text).to.include('Fougasse aux olives').and.include('Se désinscrire : https://app.cadence.example/u/');
    const listUnsubscribe = header(mail, 'List-Unsubscribe');
    expect(listUnsubscribe).to.match(/^<https:\/\/app\.cadence\.example\/u\/[A-Za-z0-9_-]+>$/);
    expect(header(mail, 'List-Unsubscribe-Post')).to.equal('List-Unsubscribe=One-Click');
    expect(header(mail, 'List-Id')).to.match(new RegExp(`^Clients [0-9a-f]{8} <${listId}\\.lists\\.app\\.cadence\\.example>$`));
    expect(header(mail, 'Precedence')).to.equal(undefined);
    expect(header(mail, 'Feedback-ID')).to.equal(`${draft.id}:${tenantId}:newsletter:cadence`);
    const url = listUnsubscribe!.slice(1, -1);
    expect(mail.parsed.html).to.include(`href="${url}"`);
    // each copy carries its own recipient's link
    const other = await smtp.waitFor((m) => m.envelope.to.includes(contacts[1].email));
    expect(header(other, 'List-Unsubscribe')).to.not.equal(listUnsubscribe);

    const rows = await recipientRows(container.cradle, tenantId, draft.id);
    expect(rows.map((r) => r.status)).to.deep.equal(['sent', 'sent']);
    expect(rows.every((r) => r.messageId && r.sentAt && r.attempts === 1 && r.errorCode === null)).to.equal(true);
    const row = await newsletterRow(container.cradle, tenantId, draft.id);
    expect(row).to.deep.include({ status: 'sent', sentCount: 2, failedCount: 0, bouncedCount: 0 });
    const content = await container.cradle.database.forTenant(tenantId, (trx) => trx('contents').where({ id: contentId }).first('status', 'publishedAt'));
    expect(content.status).to.equal('published');
    expect(content.publishedAt).to.be.instanceOf(Date);
    const slot = await container.cradle.database.forTenant(tenantId, (trx) => trx('calendarSlots').where({ contentId }).first('status'));
    expect(slot.status).to.equal('published');
    // a published content is not sent again
    expect((await rejection(service.prepare(tenantId, contentId, listId))).code).to.equal('newsletter.errors.notApproved');

    // the one-click unsubscribe link works; the next newsletter skips that contact
    const res = await supertest(app).post(new URL(url).pathname).type('form').send('List-Unsubscribe=One-Click');
    expect(res.status).to.equal(200);
    const next = await service.prepare(tenantId, await addNewsletterContent(container.cradle, tenantId), listId);
    expect(next.recipientCount).to.equal(1);
    await service.send(tenantId, next.id);
    expect((await recipientRows(container.cradle, tenantId, next.id)).map((r) => r.email)).to.deep.equal([contacts[1].email]);
    smtp.reset();
    await sendAll(next.id);
    expect(smtp.messages.map((m) => m.envelope.to[0])).to.deep.equal([contacts[1].email]);
  });

  it('refuses a content that is not approved, not a newsletter, or of another tenant', async () => {
    const { listId } = await listWithContacts(container.cradle, tenantId, 1);
    const draftContent = await addNewsletterContent(container.cradle, tenantId, { status: 'draft' });
    expect((await rejection(service.prepare(tenantId, draftContent, listId))).code).to.equal('newsletter.errors.notApproved');
    const other = await createTenant(container.cradle.database);
    const foreign = await addNewsletterContent(container.cradle, other.id);
    expect((await rejection(service.prepare(tenantId, foreign, listId))).status).to.equal(404);
    const mine = await addNewsletterContent(container.cradle, tenantId);
    const foreignList = (await listWithContacts(container.cradle, other.id, 1)).listId;
    expect((await rejection(service.prepare(tenantId, mine, foreignList))).status).to.equal(404);
    const draft = await service.prepare(tenantId, mine, listId);
    expect((await rejection(service.get(other.id, draft.id))).status).to.equal(404);
    expect((await rejection(service.send(other.id, draft.id))).status).to.equal(404);
  });

  it('sends at most rate_per_minute per minute', async () => {
    const { listId } = await listWithContacts(container.cradle, tenantId, 5);
    const draft = await service.prepare(tenantId, await addNewsletterContent(container.cradle, tenantId), listId, { ratePerMinute: 2 });
    await service.send(tenantId, draft.id);
    await sender.sendDue();
    expect(smtp.messages).to.have.length(2);
    await sender.sendDue(); // same minute: the budget is spent
    expect(smtp.messages).to.have.length(2);
    clock.advance(30_000);
    await sender.sendDue(); // still within 60 s of those two
    expect(smtp.messages).to.have.length(2);
    clock.advance(31_000);
    await sender.sendDue();
    expect(smtp.messages).to.have.length(4);
    clock.advance(61_000);
    await sender.sendDue();
    expect(smtp.messages).to.have.length(5);
    expect(await newsletterRow(container.cradle, tenantId, draft.id)).to.deep.include({ status: 'sent', sentCount: 5 });
  });

  it('a 550 on RCPT is a hard bounce: recipient bounced, contact bounced, never mailed again', async () => {
    const { listId, contacts } = await listWithContacts(container.cradle, tenantId, 3);
    smtp.rejectRecipient(contacts[1].email, 550);
    const draft = await service.prepare(tenantId, await addNewsletterContent(container.cradle, tenantId), listId);
    await service.send(tenantId, draft.id);
    await sendAll(draft.id);
    const rows = await recipientRows(container.cradle, tenantId, draft.id);
    expect(rows.map((r) => r.status)).to.deep.equal(['sent', 'bounced', 'sent']);
    expect(rows[1]).to.deep.include({ bounceType: 'hard', errorCode: 'mail.errors.recipient', attempts: 1 });
    expect(rows[1].errorMessage).to.match(/550|Mailbox unavailable/);
    expect(await newsletterRow(container.cradle, tenantId, draft.id)).to.deep.include({ status: 'sent', sentCount: 2, bouncedCount: 1, failedCount: 0 });
    const contact = await container.cradle.database.forTenant(tenantId, (trx) => trx('contacts').where({ id: contacts[1].id }).first('hardBouncedAt'));
    expect(contact.hardBouncedAt).to.be.instanceOf(Date);

    smtp.reset();
    const second = await service.prepare(tenantId, await addNewsletterContent(container.cradle, tenantId), listId);
    expect(second.recipientCount).to.equal(2);
    await service.send(tenantId, second.id);
    await sendAll(second.id);
    expect(smtp.messages.map((m) => m.envelope.to[0]).sort()).to.deep.equal([contacts[0].email, contacts[2].email].sort());
  });

  it('a 451 is retried after a backoff, then sent', async () => {
    const { listId, contacts } = await listWithContacts(container.cradle, tenantId, 2);
    smtp.rejectRecipient(contacts[0].email, 451);
    const draft = await service.prepare(tenantId, await addNewsletterContent(container.cradle, tenantId), listId);
    await service.send(tenantId, draft.id);
    const first = await sender.sendDue();
    expect(first).to.deep.include({ sent: 1, retried: 1 });
    let rows = await recipientRows(container.cradle, tenantId, draft.id);
    expect(rows[0]).to.deep.include({ status: 'queued', attempts: 1, bounceType: 'soft', errorCode: 'mail.errors.recipient' });
    await sender.sendDue(); // not before the backoff
    expect((await recipientRows(container.cradle, tenantId, draft.id))[0].attempts).to.equal(1);
    smtp.rejectRecipient(contacts[0].email, 0); // the mailbox is available again
    clock.advance(61_000);
    await sender.sendDue();
    rows = await recipientRows(container.cradle, tenantId, draft.id);
    expect(rows[0]).to.deep.include({ status: 'sent', attempts: 2, errorCode: null });
    expect(smtp.messages.filter((m) => m.envelope.to.includes(contacts[0].email))).to.have.length(1);
    expect(await newsletterRow(container.cradle, tenantId, draft.id)).to.deep.include({ status: 'sent', sentCount: 2 });
  });

  it('re-checks consent at send time: a contact who unsubscribed after scheduling is skipped', async () => {
    const { listId, contacts } = await listWithContacts(container.cradle, tenantId, 2);
    const draft = await service.prepare(tenantId, await addNewsletterContent(container.cradle, tenantId), listId, { ratePerMinute: 1 });
    await service.send(tenantId, draft.id);
    await sender.sendDue();
    expect(smtp.messages).to.have.length(1);
    const pending = contacts.find((c) => !smtp.messages[0].envelope.to.includes(c.email))!;
    const url = container.cradle.contactService.unsubscribeUrl(tenantId, pending.id, listId);
    expect((await supertest(app).post(new URL(url).pathname).type('form').send('List-Unsubscribe=One-Click')).status).to.equal(200);
    clock.advance(61_000);
    await sender.sendDue();
    expect(smtp.messages).to.have.length(1);
    const row = (await recipientRows(container.cradle, tenantId, draft.id)).find((r) => r.contactId === pending.id);
    expect(row).to.deep.include({ status: 'unsubscribed', attempts: 0 });
    expect(await newsletterRow(container.cradle, tenantId, draft.id)).to.deep.include({ status: 'sent', sentCount: 1, unsubscribedCount: 1 });
  });

  it('two runs at once send each recipient exactly once', async () => {
    const { listId, contacts } = await listWithContacts(container.cradle, tenantId, 6);
    const draft = await service.prepare(tenantId, await addNewsletterContent(container.cradle, tenantId), listId, { ratePerMinute: 100 });
    await service.send(tenantId, draft.id);
    const reports = await Promise.all([sender.sendDue(), sender.sendDue(), sender.sendDue()]);
    expect(reports.reduce((sum, r) => sum + r.sent, 0)).to.equal(6);
    for (const c of contacts) expect(smtp.messages.filter((m) => m.envelope.to.includes(c.email)), c.email).to.have.length(1);
    expect(await newsletterRow(container.cradle, tenantId, draft.id)).to.deep.include({ status: 'sent', sentCount: 6 });
  });

  it('never resends a recipient left in flight by a crash; it becomes failed (interrupted) after the lease', async () => {
    const { listId, contacts } = await listWithContacts(container.cradle, tenantId, 2);
    const draft = await service.prepare(tenantId, await addNewsletterContent(container.cradle, tenantId), listId);
    await service.send(tenantId, draft.id);
    // a run that claimed the first recipient and died before recording the outcome
    await container.cradle.database.forTenant(tenantId, (trx) =>
      trx('newsletterRecipients').where({ newsletterId: draft.id, contactId: contacts[0].id }).update({ errorCode: 'in_flight', attempts: 1, updatedAt: clock.now() }),
    );
    await sender.sendDue();
    expect(smtp.messages.map((m) => m.envelope.to[0])).to.deep.equal([contacts[1].email]);
    expect((await newsletterRow(container.cradle, tenantId, draft.id)).status).to.equal('sending');
    clock.advance(16 * 60_000);
    await sender.sendDue();
    expect(smtp.messages).to.have.length(1);
    const row = (await recipientRows(container.cradle, tenantId, draft.id)).find((r) => r.contactId === contacts[0].id);
    expect(row).to.deep.include({ status: 'failed', errorCode: 'newsletter.errors.interrupted' });
    expect(await newsletterRow(container.cradle, tenantId, draft.id)).to.deep.include({ status: 'sent', sentCount: 1, failedCount: 1 });
  });
});
