import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { unzipSync, strFromU8 } from 'fflate';
import sharp from 'sharp';
import { StorageObjectNotFoundError } from '../../../../src/modules/brand/media-ports.js';
import { GdprDeletionService } from '../../../../src/modules/tenancy/gdpr-deletion-service.js';
import { DELETION_GRACE_DAYS } from '../../../../src/modules/tenancy/gdpr-domain.js';
import { ValidationError } from '../../../../src/shared/errors.js';
import { CORPUS_DIR } from '../../../support/corpus.js';
import { testEnv } from '../../../support/root-hooks.js';
import { createTenant } from '../../../support/tenants.js';

type Cradle = ReturnType<typeof testEnv>['container']['cradle'];

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

async function stored(c: Cradle, key: string): Promise<boolean> {
  try {
    await readAll(await c.mediaStorage.get(key));
    return true;
  } catch (err) {
    if (err instanceof StorageObjectNotFoundError) return false;
    throw err;
  }
}

/** Every base table with a tenant_id column, straight from the catalogue (independent of the code under test). */
async function catalogueTables(c: Cradle): Promise<string[]> {
  const { rows } = await c.database.asPlatform((trx) =>
    trx.raw(`select c.table_name from information_schema.columns c join information_schema.tables t using (table_schema, table_name)
              where c.table_schema = current_schema() and c.column_name = 'tenant_id' and t.table_type = 'BASE TABLE' order by 1`),
  );
  return (rows as { table_name: string }[]).map((r) => r.table_name);
}

async function rowCounts(c: Cradle, tenantId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const tables = await catalogueTables(c);
  await c.database.asPlatform(async (trx) => {
    for (const table of tables) {
      const [{ n }] = await trx(table).where({ tenantId }).count('* as n');
      counts[table] = Number(n);
    }
  });
  return counts;
}

async function newUser(c: Cradle, email: string, name: string): Promise<string> {
  const user = await c.userRepository.create({ email, name, passwordHash: await c.passwordHasher.hash('correct horse battery'), locale: 'fr' });
  return user.id;
}

async function tinyPng(color: string): Promise<Buffer> {
  return sharp({ create: { width: 16, height: 12, channels: 3, background: color } }).png().toBuffer();
}

/** A tenant filled through the services (media, contacts, lists, team, studio) and a few raw inserts with files. */
async function filledTenant(c: Cradle, label: string) {
  const tenant = await createTenant(c.database, { name: `GDPR ${label}`, locale: 'fr' });
  const suffix = crypto.randomBytes(4).toString('hex');
  const ownerId = await newUser(c, `owner-${suffix}@example.com`, `Owner ${label}`);
  await c.membershipRepository.addToTenant(tenant.id, ownerId, 'client_owner');

  const media = await c.mediaService.upload(tenant.id, { data: await tinyPng(label === 'A' ? '#c03030' : '#3030c0'), filename: `photo-${label}.png`, uploadedBy: ownerId });
  const contact = await c.contactService.create(
    tenant.id,
    { email: `client-${suffix}@example.com`, firstName: '=HYPERLINK("http://evil.example","x")', lastName: `Client ${label}` },
    { media: ['email'], context: { source: 'admin', actorUserId: ownerId, proof: 'Formulaire en boutique' } },
  );
  const listId = await c.contactService.createList(tenant.id, { name: `Fidèles ${label}`, doubleOptIn: false });
  await c.contactService.addToList(tenant.id, listId, contact.id, 'http://localhost');
  await c.teamService.invite(tenant.id, ownerId, `invitee-${suffix}@example.com`, 'client_viewer');
  const content = await c.contentService.create(tenant.id, ownerId, { channel: 'facebook', title: `Post ${label}`, brief: 'Un brief', mediaIds: [media.asset.id] });

  const pdf = fs.readFileSync(path.join(CORPUS_DIR, 'pdfs', 'fr-freebox-tv-documentation-12p.pdf'));
  const onboardingKey = `${tenant.id}/onboarding/pdf/${crypto.randomUUID()}.pdf`;
  await c.mediaStorage.put(onboardingKey, pdf, { contentType: 'application/pdf' });
  const reportPdfKey = `${tenant.id}/reports/${crypto.randomUUID()}.pdf`;
  const reportCsvKey = `${tenant.id}/reports/${crypto.randomUUID()}.csv`;
  await c.mediaStorage.put(reportPdfKey, Buffer.from('%PDF-1.4 report'), { contentType: 'application/pdf' });
  await c.mediaStorage.put(reportCsvKey, Buffer.from('a;b\r\n1;2\r\n'), { contentType: 'text/csv' });
  await c.database.forTenant(tenant.id, async (trx) => {
    const [session] = await trx('onboardingSessions').insert({ tenantId: tenant.id, startedBy: ownerId }).returning('id');
    await trx('onboardingInputs').insert({ tenantId: tenant.id, sessionId: session.id, kind: 'pdf', storageKey: onboardingKey, originalFilename: 'doc.pdf', mimeType: 'application/pdf', sizeBytes: pdf.length });
    await trx('reports').insert({
      tenantId: tenant.id,
      periodStart: '2026-10-01',
      periodEnd: '2026-10-31',
      status: 'ready',
      pdfStorageKey: reportPdfKey,
      csvStorageKey: reportCsvKey,
      generatedAt: new Date('2026-11-01T06:00:00Z'),
    });
    await trx('auditLog').insert({ tenantId: tenant.id, actorUserId: ownerId, action: 'test.filled', details: { label } });
  });
  return { tenant, ownerId, media: media.asset, contact, content, onboardingKey, reportPdfKey, reportCsvKey, suffix };
}

describe('GDPR self-service: completeness of export and deletion', function () {
  this.timeout(120_000);

  it('exports every tenant table of the catalogue (JSON and CSV, secrets left out, files included), then deletes every row and file of the tenant and nothing of another', async () => {
    const c = testEnv().container.cradle;
    const a = await filledTenant(c, 'A');
    const b = await filledTenant(c, 'B');
    // a member of A only (deleted with A) and one of A and B (kept)
    const onlyA = await newUser(c, `only-a-${a.suffix}@example.com`, 'Seulement A');
    await c.membershipRepository.addToTenant(a.tenant.id, onlyA, 'client_editor');
    const both = await newUser(c, `both-${a.suffix}@example.com`, 'A et B');
    await c.membershipRepository.addToTenant(a.tenant.id, both, 'client_viewer');
    await c.membershipRepository.addToTenant(b.tenant.id, both, 'client_viewer');
    await c.knex('sessions').insert([
      { sid: `s-only-${a.suffix}`, sess: { tenantId: a.tenant.id }, expiresAt: new Date(Date.now() + 3_600_000), userId: onlyA },
      { sid: `s-both-${a.suffix}`, sess: { tenantId: a.tenant.id }, expiresAt: new Date(Date.now() + 3_600_000), userId: both },
      { sid: `s-both-b-${a.suffix}`, sess: { tenantId: b.tenant.id }, expiresAt: new Date(Date.now() + 3_600_000), userId: both },
    ]);

    // ---- export ----
    const requested = await c.gdprExportService.request(a.tenant.id, a.ownerId);
    expect(requested.status).to.equal('pending');
    expect((await c.gdprExportService.request(a.tenant.id, a.ownerId)).id).to.equal(requested.id); // a second click: same export
    for (let i = 0; i < 10 && (await c.gdprRepository.findExport(a.tenant.id, requested.id))?.status !== 'ready'; i++) await c.gdprExportService.buildDue();
    const ready = await c.gdprRepository.findExport(a.tenant.id, requested.id);
    expect(ready?.status).to.equal('ready');
    expect(ready!.expiresAt!.getTime() - ready!.completedAt!.getTime()).to.equal(7 * 24 * 3600 * 1000);

    const download = await c.gdprExportService.download(a.tenant.id, requested.id);
    const zip = unzipSync(new Uint8Array(await readAll(download.stream)));
    const data = JSON.parse(strFromU8(zip['data.json'])) as { tenant: { id: string; name: string }; members: { email: string }[]; tables: Record<string, Record<string, unknown>[]> };
    expect(data.tenant.id).to.equal(a.tenant.id);
    expect(data.members.map((m) => m.email)).to.include.members([`owner-${a.suffix}@example.com`, `only-a-${a.suffix}@example.com`, `both-${a.suffix}@example.com`]);
    expect(JSON.stringify(data.members)).not.to.include('password');

    const tables = await catalogueTables(c);
    expect(tables).to.include('data_exports');
    const counts = await rowCounts(c, a.tenant.id);
    const filled = tables.filter((t) => counts[t] > 0);
    expect(filled.length, `filled tables: ${filled.join(', ')}`).to.be.greaterThan(15);
    for (const table of tables) {
      expect(data.tables, table).to.have.property(table);
      // the export row itself changed after the archive was written (building → ready): it is there, with its id
      expect(data.tables[table].length, table).to.equal(counts[table]);
      for (const row of data.tables[table]) expect(row.tenant_id, table).to.equal(a.tenant.id);
      const csv = zip[`csv/${table}.csv`];
      expect(csv, `csv/${table}.csv`).to.exist;
      expect([...csv.subarray(0, 3)]).to.deep.equal([0xef, 0xbb, 0xbf]);
      const records = parse(Buffer.from(csv), { bom: true, delimiter: ';', relax_column_count: false }) as string[][];
      expect(records.length, `csv/${table}.csv`).to.equal(counts[table] + 1);
    }
    expect(zip['csv/tenants.csv']).to.exist;
    expect(zip['csv/users.csv']).to.exist;

    // secrets and credentials never leave; the README says which
    expect(data.tables.invitations[0]).not.to.have.property('token_hash');
    expect(data.tables.invitations[0]).to.have.property('email', `invitee-${a.suffix}@example.com`);
    const readme = strFromU8(zip['README.txt']);
    expect(readme).to.include('invitations.token_hash');
    expect(readme).to.include('channel_accounts.credentials_encrypted');
    expect(readme).to.include('webhooks.secret_encrypted');
    expect(readme).to.include('users.password_hash');
    // formula injection neutralised in the CSV, intact in the JSON
    const contactsCsv = strFromU8(zip['csv/contacts.csv']);
    expect(contactsCsv).to.include(`'=HYPERLINK`);
    expect(data.tables.contacts[0].first_name).to.equal('=HYPERLINK("http://evil.example","x")');
    // dates as PostgreSQL writes them, never shifted by a time zone
    expect(data.tables.reports[0].period_start).to.equal('2026-10-01');

    // files: media original and thumbnail, onboarding upload, report files — and nothing of B
    const names = Object.keys(zip);
    const mediaFile = `files/media_assets/${a.media.storageKey!.slice(a.tenant.id.length + 1)}`;
    expect(names).to.include(mediaFile);
    expect(names.some((n) => n.startsWith('files/media_assets/') && n !== mediaFile)).to.equal(true); // thumbnail
    expect(names).to.include(`files/onboarding_inputs/${a.onboardingKey.slice(a.tenant.id.length + 1)}`);
    expect(names).to.include(`files/reports/${a.reportPdfKey.slice(a.tenant.id.length + 1)}`);
    expect(names).to.include(`files/reports/${a.reportCsvKey.slice(a.tenant.id.length + 1)}`);
    expect(Buffer.from(zip[mediaFile]).equals(await readAll(await c.mediaStorage.get(a.media.storageKey!)))).to.equal(true);
    const everything = Object.values(zip).map((f) => Buffer.from(f).toString('latin1')).join('\n');
    expect(everything).not.to.include(b.tenant.id);
    expect(everything).not.to.include(`client-${b.suffix}@example.com`);
    expect(names.some((n) => n.includes('exports/'))).to.equal(false);

    // ---- deletion ----
    const requestedAt = new Date('2026-12-01T10:00:00Z');
    let now = requestedAt;
    const deletion = new GdprDeletionService({
      gdprRepository: c.gdprRepository,
      mediaStorage: c.mediaStorage,
      mailer: c.mailer,
      i18n: c.i18n,
      config: c.config,
      clock: { now: () => now },
      logger: c.logger,
    });
    let refused: unknown;
    try {
      await deletion.request(a.tenant.id, a.ownerId, 'GDPR B');
    } catch (err) {
      refused = err;
    }
    expect(refused).to.be.instanceOf(ValidationError);
    expect((refused as ValidationError).fieldErrors).to.deep.equal({ confirmName: 'gdpr.errors.nameMismatch' });

    const schedule = await deletion.request(a.tenant.id, a.ownerId, ' GDPR A ');
    expect(schedule.scheduledFor.getTime() - requestedAt.getTime()).to.equal(DELETION_GRACE_DAYS * 24 * 3600 * 1000);
    const tenantRow = await c.database.asPlatform((trx) => trx('tenants').where({ id: a.tenant.id }).first('status', 'deletionScheduledFor'));
    expect(tenantRow.status).to.equal('pending_deletion');
    const notice = await c.database.forTenant(a.tenant.id, (trx) => trx('sandboxDeliveries').where({ recipient: `owner-${a.suffix}@example.com` }).first('payload'));
    expect(JSON.stringify(notice?.payload)).to.include('GDPR A');

    // cancel during the grace period, ask again; nothing is deleted before the date
    await deletion.cancel(a.tenant.id, a.ownerId);
    expect((await c.database.asPlatform((trx) => trx('tenants').where({ id: a.tenant.id }).first('status'))).status).to.equal('active');
    await deletion.request(a.tenant.id, a.ownerId, 'GDPR A');
    now = new Date(requestedAt.getTime() + (DELETION_GRACE_DAYS - 1) * 24 * 3600 * 1000);
    expect(await deletion.deleteDue()).to.deep.equal([]);

    now = new Date(requestedAt.getTime() + DELETION_GRACE_DAYS * 24 * 3600 * 1000 + 60_000);
    let lateCancel: unknown;
    try {
      await deletion.cancel(a.tenant.id, a.ownerId);
    } catch (err) {
      lateCancel = err;
    }
    expect(lateCancel).to.have.property('code', 'gdpr.errors.cannotCancel');

    const exportKey = (await c.gdprRepository.findExport(a.tenant.id, requested.id))!.storageKey!;
    const reports = await deletion.deleteDue();
    expect(reports.map((r) => r.tenantId)).to.deep.equal([a.tenant.id]);
    expect(await deletion.deleteDue()).to.deep.equal([]); // idempotent

    // no table with a tenant_id has a row of A (catalogue query, platform context)
    const left = Object.entries(await rowCounts(c, a.tenant.id)).filter(([, n]) => n > 0);
    expect(left).to.deep.equal([]);
    expect(await c.database.asPlatform((trx) => trx('tenants').where({ id: a.tenant.id }).first('id'))).to.equal(undefined);
    // its files are gone
    for (const key of [a.media.storageKey!, a.media.thumbnailKey!, a.onboardingKey, a.reportPdfKey, a.reportCsvKey, exportKey]) {
      expect(await stored(c, key), key).to.equal(false);
    }
    // members: the one of A only is deleted with their sessions, the one of A and B stays, sessions on A end
    const users = await c.database.asPlatform((trx) => trx('users').whereIn('id', [a.ownerId, onlyA, both]).pluck('id'));
    expect(users).to.deep.equal([both]);
    const sessions = await c.knex('sessions').where('sid', 'like', `%-${a.suffix}`).pluck('sid');
    expect(sessions).to.deep.equal([`s-both-b-${a.suffix}`]);
    // a platform audit entry stays, without personal data
    const audit = await c.database.asPlatform((trx) => trx('auditLog').where({ action: 'tenant.deleted', subjectId: a.tenant.id }).first());
    expect(audit.tenantId).to.equal(null);
    expect(audit.details.requestedBy).to.equal(a.ownerId);
    expect(JSON.stringify(audit)).not.to.match(/@|GDPR A/);

    // B is intact: rows, files, member
    const bCounts = await rowCounts(c, b.tenant.id);
    expect(bCounts.contacts).to.equal(1);
    expect(bCounts.media_assets).to.equal(1);
    expect(bCounts.memberships).to.equal(2);
    expect(await stored(c, b.media.storageKey!)).to.equal(true);
    expect(await stored(c, b.onboardingKey)).to.equal(true);
    expect(await stored(c, b.reportPdfKey)).to.equal(true);
  });

  it('every table with a tenant_id either cascades with the tenant or is handled by the deletion', async () => {
    const c = testEnv().container.cradle;
    const tables = await c.gdprRepository.tenantTables();
    expect(tables.map((t) => t.name).sort()).to.deep.equal(await catalogueTables(c));
    const rules = Object.fromEntries(tables.map((t) => [t.name, t.onTenantDelete]));
    // rows kept on purpose (ON DELETE SET NULL): invoices and what hangs on them, accounting records kept 10 years
    expect(Object.keys(rules).filter((t) => rules[t] === 'SET NULL').sort()).to.deep.equal(['commissions', 'invoice_lines', 'invoices', 'payments']);
    expect(Object.keys(rules).filter((t) => !['CASCADE', 'SET NULL'].includes(rules[t]))).to.deep.equal([]);
  });
});
