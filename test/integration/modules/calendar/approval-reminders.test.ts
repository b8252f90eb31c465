import { expect } from 'chai';
import { SmtpMailer } from '../../../../src/adapters/mail/smtp-mailer.js';
import { ApprovalReminders, approvalJobs } from '../../../../src/modules/calendar/approvals.js';
import type { Mailer } from '../../../../src/shared/mailer.js';
import { TestSmtpServer } from '../../../support/smtp-server.js';
import {
  approvalRows,
  cradle,
  createMember,
  createTeam,
  pendingContent,
  sandboxMails,
  setSlot,
  slotRow,
  type Team,
} from './approval-support.js';

const HOUR = 3_600_000;

/** The reminder run as the worker does it, at a frozen instant. */
function remindersAt(now: Date, mailer: Mailer = cradle().mailer): ApprovalReminders {
  const c = cradle();
  return new ApprovalReminders({ approvalRepository: c.approvalRepository, mailer, i18n: c.i18n, clock: { now: () => now }, config: c.config, logger: c.logger });
}

describe('calendar/approval reminders', function () {
  this.timeout(60_000);
  // Far enough ahead that no other test's content has a slot in the window.
  const now = new Date(Date.now() + 200 * 24 * HOUR);
  let team: Team;

  before(async () => {
    team = await createTeam();
  });

  it('is a recurring job of the worker', () => {
    const [job] = approvalJobs(cradle());
    expect(job).to.include({ name: 'calendar:remind-pending-approvals', every: '15 minutes' });
  });

  it('sends one digest per approver of the items due within a day, once, then marks their slots', async () => {
    const secondOwner = await createMember(team.tenantId, 'client_owner', 'Paul Associé');
    const due = await pendingContent(team.tenantId, team.owner.userId, { title: 'Annonce du marché de Noël' });
    const dueToo = await pendingContent(team.tenantId, team.owner.userId, { channel: 'facebook', title: 'Horaires des fêtes' });
    const later = await pendingContent(team.tenantId, team.owner.userId, { title: 'Dans deux jours' });
    const approved = await pendingContent(team.tenantId, team.owner.userId, { title: 'Déjà validé' });
    await setSlot(team.tenantId, due.id, new Date(now.getTime() + 3 * HOUR));
    await setSlot(team.tenantId, dueToo.id, new Date(now.getTime() + 23 * HOUR));
    await setSlot(team.tenantId, later.id, new Date(now.getTime() + 48 * HOUR));
    await setSlot(team.tenantId, approved.id, new Date(now.getTime() + 5 * HOUR));
    await cradle().approvalService.approve(team.tenantId, { kind: 'user', userId: team.owner.userId, name: 'Claire', locale: 'fr' }, approved.id, { versionId: approved.versionId });

    const first = await remindersAt(now).run();
    expect(first.emails).to.be.at.least(2);
    const mails = await sandboxMails(team.tenantId, 'approval_reminder');
    expect(mails.map((m) => m.recipient).sort()).to.deep.equal([team.owner.email, secondOwner.email].sort());
    const [mail] = mails;
    expect(mail.payload.subject).to.equal(`${await tenantName(team.tenantId)} : 2 contenus attendent votre validation avant leur publication`);
    expect(mail.payload.text).to.include('Annonce du marché de Noël');
    expect(mail.payload.text).to.include('Horaires des fêtes');
    expect(mail.payload.text).not.to.include('Dans deux jours');
    expect(mail.payload.text).not.to.include('Déjà validé');
    expect(mail.payload.html).to.include('Annonce du marché de Noël');
    const local = new Intl.DateTimeFormat('fr', { timeZone: 'Europe/Paris', weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit' }).format(new Date(now.getTime() + 3 * HOUR));
    expect(mail.payload.text).to.include(local);
    expect((await slotRow(team.tenantId, due.id))!.reminderSentAt.getTime()).to.equal(now.getTime());
    expect((await slotRow(team.tenantId, later.id))!.reminderSentAt).to.equal(null);

    // running again (or a quarter of an hour later) sends nothing new
    await remindersAt(now).run();
    await remindersAt(new Date(now.getTime() + 15 * 60_000)).run();
    expect(await sandboxMails(team.tenantId, 'approval_reminder')).to.have.length(2);

    // a day later, the item that was two days away is due in turn: one more digest each, for it alone
    await remindersAt(new Date(now.getTime() + 26 * HOUR)).run();
    const next = (await sandboxMails(team.tenantId, 'approval_reminder')).slice(2);
    expect(next).to.have.length(2);
    expect(next[0].payload.text).to.include('Dans deux jours');
    expect(next[0].payload.text).not.to.include('Annonce du marché de Noël');
    expect(await approvalRows(team.tenantId, due.id)).to.have.length(0);
  });

  it('writes to editors and viewers never, and in the tenant’s language', async () => {
    const english = await createTeam({ locale: 'en' });
    const item = await pendingContent(english.tenantId, english.owner.userId, { title: 'Winter sale' });
    await setSlot(english.tenantId, item.id, new Date(now.getTime() + 2 * HOUR));
    await remindersAt(now).run();
    const mails = await sandboxMails(english.tenantId, 'approval_reminder');
    expect(mails.map((m) => m.recipient)).to.deep.equal([english.owner.email]);
    expect(mails[0].payload.subject).to.match(/: 1 content awaits your approval before it is published$/);
    expect(mails[0].payload.text).to.include('Winter sale');
  });

  it('keeps the slots unmarked when no e-mail could leave (SMTP refusal), and reminds on the next run', async () => {
    const failing = await createTeam();
    const item = await pendingContent(failing.tenantId, failing.owner.userId);
    await setSlot(failing.tenantId, item.id, new Date(now.getTime() + HOUR));
    const smtp = await TestSmtpServer.start();
    smtp.rejectRecipient(failing.owner.email, 451);
    const mailer = new SmtpMailer({
      smtp: { host: '127.0.0.1', port: smtp.port, secure: false, requireTls: false, maxConnections: 1, rateLimit: 100 },
      from: { name: 'Cadence', address: 'no-reply@cadence.test' },
      logger: cradle().logger,
    });
    try {
      await remindersAt(now, mailer).run();
      expect((await slotRow(failing.tenantId, item.id))!.reminderSentAt).to.equal(null);
      expect(smtp.messages.filter((m) => m.envelope.to.includes(failing.owner.email))).to.have.length(0);
    } finally {
      mailer.close();
      await smtp.close();
    }
    await remindersAt(now).run();
    expect(await sandboxMails(failing.tenantId, 'approval_reminder')).to.have.length(1);
    expect((await slotRow(failing.tenantId, item.id))!.reminderSentAt).to.be.instanceOf(Date);
  });
});

async function tenantName(tenantId: string): Promise<string> {
  return cradle().database.forTenant(tenantId, async (trx) => (await trx('tenants').where({ id: tenantId }).first('name')).name);
}
