import type { AwilixContainer } from 'awilix';
import { expect } from 'chai';
import { createMember, frozenClock, newTenant, sessionContainer, type Wired } from './session-support.js';

async function reminderMails(c: Wired, tenantId: string) {
  const rows = await c.database.forTenant(tenantId, (trx) => trx('sandboxDeliveries').where({ tenantId, channel: 'email' }).orderBy('createdAt').select('recipient', 'payload'));
  return (rows as { recipient: string; payload: { kind: string; subject: string; text: string; html: string } }[]).filter((r) => r.payload.kind === 'session_reminder');
}

describe('pipeline/session reminders', function () {
  this.timeout(60_000);
  let container: AwilixContainer<Wired>;
  let c: Wired;
  // Run day 10 at 02:00 (Europe/Paris), reminder 5 days before: the window opens on 5 October 2031 at 02:00 local.
  const clock = frozenClock(new Date('2031-10-04T10:00:00Z'));

  before(() => {
    container = sessionContainer({ clock });
    c = container.cradle;
  });
  after(() => container.dispose());

  async function tenantWithTeam(locale: string) {
    const tenantId = await newTenant(c, { locale, timezone: 'Europe/Paris' });
    await c.pipelineRepository.saveSettings(tenantId, { enabled: true, runDay: 10, runHour: 2, reminderDaysBefore: 5, useNightlyBatch: true, contentMode: null, maxCreditsPerRun: null });
    const owner = await createMember(c, tenantId, 'client_owner');
    const editor = await createMember(c, tenantId, 'client_editor');
    await createMember(c, tenantId, 'client_viewer');
    return { tenantId, owner, editor };
  }

  it('invites the members who can write content once, in the tenant’s language, when the run comes within the reminder window', async () => {
    const en = await tenantWithTeam('en');
    const submitted = await tenantWithTeam('fr');
    const session = await c.monthlySessionRepository.ensure(submitted.tenantId, '2031-11-01', 'fr');
    await c.monthlySessionRepository.submit(submitted.tenantId, session.id, submitted.owner.userId, clock.now());

    clock.set(new Date('2031-10-04T10:00:00Z')); // six days before: not yet
    await c.sessionReminders.run();
    expect(await reminderMails(c, en.tenantId)).to.have.length(0);

    clock.set(new Date('2031-10-07T10:00:00Z'));
    const first = await c.sessionReminders.run();
    expect(first.emails).to.be.at.least(2);
    const mails = await reminderMails(c, en.tenantId);
    expect(mails.map((m) => m.recipient).sort()).to.deep.equal([en.owner.email, en.editor.email].sort());
    const [mail] = mails;
    const name = (await c.pipelineRepository.tenantProfile(en.tenantId)).name;
    expect(mail.payload.subject).to.equal(`${name}: prepare your month of November 2031`);
    expect(mail.payload.text).to.include('Friday, October 10');
    expect(mail.payload.text).to.include(`${c.config.publicUrl ?? `http://localhost:${c.config.port}`}/app/pipeline/session?month=2031-11-01`);
    expect(mail.payload.html).to.include('Fill in the monthly session');
    const reminded = (await c.monthlySessionRepository.find(en.tenantId, '2031-11-01'))!;
    expect(reminded.status).to.equal('open');
    expect(reminded.reminderSentAt!.getTime()).to.equal(clock.now().getTime());
    // a submitted session is not reminded
    expect(await reminderMails(c, submitted.tenantId)).to.have.length(0);

    // the next runs (hourly) send nothing more
    clock.set(new Date('2031-10-07T11:00:00Z'));
    await c.sessionReminders.run();
    clock.set(new Date('2031-10-09T23:00:00Z'));
    await c.sessionReminders.run();
    expect(await reminderMails(c, en.tenantId)).to.have.length(2);
  });

  it('writes in French for a French workspace, and prepares the month after next once this month’s run day has passed', async () => {
    const fr = await tenantWithTeam('fr');
    // 6 November 2031, 09:00 in Paris: November's run (10 Nov) prepares December
    clock.set(new Date('2031-11-06T08:00:00Z'));
    await c.sessionReminders.run();
    const mails = await reminderMails(c, fr.tenantId);
    expect(mails).to.have.length(2);
    expect(mails[0].payload.subject).to.include('préparez votre mois de décembre 2031');
    expect(mails[0].payload.text).to.include('lundi 10 novembre');
    expect((await c.monthlySessionRepository.find(fr.tenantId, '2031-12-01'))!.reminderSentAt).to.not.equal(null);

    // past this month's run day, the next run is December's (10 Dec → January): 11 November is out of its window
    const late = await tenantWithTeam('fr');
    clock.set(new Date('2031-11-11T08:00:00Z'));
    await c.sessionReminders.run();
    expect(await reminderMails(c, late.tenantId)).to.have.length(0);
  });
});
