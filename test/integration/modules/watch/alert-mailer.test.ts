import { expect } from 'chai';
import { SmtpMailer } from '../../../../src/adapters/mail/smtp-mailer.js';
import { AlertMailer } from '../../../../src/modules/watch/alert-mailer.js';
import { watchJobs } from '../../../../src/modules/watch/index.js';
import { appBaseUrl } from '../../../../src/shared/http/public-url.js';
import type { Mailer } from '../../../../src/shared/mailer.js';
import { TestSmtpServer } from '../../../support/smtp-server.js';
import { alertsOf, changesOf, cradle, createSource, createWatchTeam, feedInput, feedItems, pageInput, price, sandboxMails, snapshot, type WatchTeam } from './change-support.js';

const HOUR = 3_600_000;
/** Intl writes French amounts with (narrow) no-break spaces. */
const spaces = (s: string) => s.replace(/[\u00a0\u202f]/g, ' ');

/** The job's run as the worker does it, at a frozen instant. */
function mailerAt(now: Date, mailer: Mailer = cradle().mailer): AlertMailer {
  const c = cradle();
  return new AlertMailer({ alertRepository: c.alertRepository, mailer, i18n: c.i18n, clock: { now: () => now }, config: c.config, logger: c.logger });
}

describe('watch/alert e-mails', function () {
  this.timeout(60_000);
  // Far from the other tests' instants (due e-mails are looked for up to `now`).
  const detected = new Date('2030-03-04T09:00:00Z'); // 10:00 in Paris
  const digestTime = new Date('2030-03-05T07:00:00Z'); // 08:00 in Paris the next day

  /** One price drop (immediate) and two new posts + an availability change (daily digest), at `detected`. */
  async function detectSome(team: WatchTeam) {
    const page = await createSource(team);
    const a = await snapshot(team.tenantId, page, { fields: { productName: 'Galette', price: price('24,00 €', 2400), availability: 'En stock' } });
    const b = await snapshot(team.tenantId, page, { fields: { productName: 'Galette', price: price('19,90 €', 1990), availability: 'Plus que 3' } });
    await cradle().changeDetector.detect(pageInput(page, a, b, detected));
    const feed = await createSource(team, { kind: 'rss', url: `https://rivale.example/feed-${team.tenantId}.xml` });
    const entries = await feedItems(team.tenantId, feed, [
      { guid: 'g1', title: 'Notre nouvelle boutique <b>ouvre</b> & vous attend', url: 'https://rivale.example/boutique' },
      { guid: 'g2', title: 'Recette de la semaine' },
    ]);
    await cradle().changeDetector.detect(feedInput(feed, entries, { now: detected }));
    return [...(await changesOf(team.tenantId, page.id)), ...(await changesOf(team.tenantId, feed.id))];
  }

  it('is a recurring job of the worker, every 5 minutes', () => {
    const job = watchJobs(cradle()).find((j) => j.name === 'watch:send-alert-emails');
    expect(job).to.include({ every: '5 minutes' });
  });

  it('sends immediate alerts alone right away, then one digest per member at the digest hour, once', async () => {
    const team = await createWatchTeam({ name: 'Fournil du Port' });
    const changes = await detectSome(team);
    const priceChange = changes.find((c) => c.kind === 'price_change')!;

    const first = await mailerAt(detected).run();
    expect(first.emails).to.be.at.least(2);
    let mails = await sandboxMails(team.tenantId);
    expect(mails.map((m) => [m.recipient, m.payload.kind]).sort()).to.deep.equal(
      [
        [team.owner.email, 'watch_alert'],
        [team.viewer.email, 'watch_alert'],
      ].sort(),
    );
    const immediate = mails[0].payload;
    expect(spaces(immediate.subject)).to.equal('Veille Fournil du Port : Boulangerie Rivale – Galette : 24,00 € → 19,90 € (−17,08 %)');
    expect(immediate.text).to.include(`${appBaseUrl(cradle().config)}/app/watch/changes/${priceChange.id}`);
    expect(immediate.html).to.include(`/app/watch/changes/${priceChange.id}`);

    // later the same day: nothing more is due
    await mailerAt(new Date(detected.getTime() + 5 * HOUR)).run();
    expect(await sandboxMails(team.tenantId)).to.have.length(2);

    // at 08:00 the next morning: one digest each with the three other changes
    await mailerAt(digestTime).run();
    mails = await sandboxMails(team.tenantId);
    const digests = mails.filter((m) => m.payload.kind === 'watch_digest');
    expect(digests.map((m) => m.recipient).sort()).to.deep.equal([team.owner.email, team.viewer.email].sort());
    const digest = digests[0].payload;
    expect(digest.subject).to.equal('Veille Fournil du Port : 3 changements chez vos concurrents');
    expect(digest.text).to.include('Boulangerie Rivale – Galette : « En stock » → « Plus que 3 »');
    expect(digest.text).to.include('Boulangerie Rivale a publié : Notre nouvelle boutique <b>ouvre</b> & vous attend');
    expect(digest.text).to.include('Recette de la semaine');
    expect(spaces(digest.text)).to.not.include('19,90');
    // scraped text is escaped in the HTML part
    expect(digest.html).to.include('Notre nouvelle boutique &lt;b&gt;ouvre&lt;/b&gt; &amp; vous attend');
    for (const change of changes.filter((c) => c.kind !== 'price_change')) expect(digest.text).to.include(`/app/watch/changes/${change.id}`);

    // everything is marked: another run sends nothing
    expect((await alertsOf(team.tenantId, { channel: 'email' })).every((a) => a.emailedAt instanceof Date)).to.equal(true);
    await mailerAt(new Date(digestTime.getTime() + HOUR)).run();
    expect(await sandboxMails(team.tenantId)).to.have.length(4);
  });

  it('writes in the tenant’s language', async () => {
    const team = await createWatchTeam({ locale: 'en', name: 'Harbour Bakery' });
    await detectSome(team);
    await mailerAt(digestTime).run();
    const mails = await sandboxMails(team.tenantId);
    const immediate = mails.find((m) => m.payload.kind === 'watch_alert')!.payload;
    expect(immediate.subject).to.equal('Harbour Bakery watch: Boulangerie Rivale – Galette: €24.00 → €19.90 (−17.08 %)');
    const digest = mails.find((m) => m.payload.kind === 'watch_digest')!.payload;
    expect(digest.subject).to.equal('Harbour Bakery watch: 3 changes at your competitors');
    expect(digest.text).to.include('Boulangerie Rivale published: Recette de la semaine');
    expect(digest.text).to.include('See the change: ');
  });

  it('keeps an alert due when its e-mail is refused, and sends it on the next run', async () => {
    const team = await createWatchTeam();
    await detectSome(team);
    const smtp = await TestSmtpServer.start();
    smtp.rejectRecipient(team.owner.email, 451);
    const mailer = new SmtpMailer({
      smtp: { host: '127.0.0.1', port: smtp.port, secure: false, requireTls: false, maxConnections: 1, rateLimit: 100 },
      from: { name: 'Cadence', address: 'no-reply@cadence.test' },
      logger: cradle().logger,
    });
    try {
      await mailerAt(detected, mailer).run();
      const received = smtp.messages.filter((m) => m.envelope.to.includes(team.viewer.email));
      expect(received).to.have.length(1);
      expect(smtp.messages.filter((m) => m.envelope.to.includes(team.owner.email))).to.have.length(0);
    } finally {
      mailer.close();
      await smtp.close();
    }
    const ownerEmail = (await alertsOf(team.tenantId, { userId: team.owner.userId, channel: 'email' })).filter((a) => a.emailedAt);
    expect(ownerEmail).to.have.length(0);
    const viewerSent = (await alertsOf(team.tenantId, { userId: team.viewer.userId, channel: 'email' })).filter((a) => a.emailedAt);
    expect(viewerSent).to.have.length(1);
    await mailerAt(detected).run();
    expect((await sandboxMails(team.tenantId)).map((m) => m.recipient)).to.deep.equal([team.owner.email]);
  });
});
