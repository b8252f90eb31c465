import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { DEMO_OWNER, DEMO_OWNER_2, loginAs, type Agent } from '../../../../support/http.js';
import { addTeamMember } from '../../../../support/team.js';
import { testEnv } from '../../../../support/root-hooks.js';
import { CORPUS_DIR } from '../../../../support/corpus.js';

const payloads = fs.readFileSync(path.join(CORPUS_DIR, 'security/csv-injection.txt'), 'utf8').split(/\r?\n/).filter(Boolean);
const tag = () => crypto.randomBytes(4).toString('hex');

async function importFile(owner: { agent: Agent; csrf: string }, content: Buffer | string, fields: Record<string, string>, filename = 'clients.csv') {
  const req = owner.agent.post(`/app/contacts/import?_csrf=${encodeURIComponent(owner.csrf)}`);
  for (const [k, v] of Object.entries(fields)) req.field(k, v);
  return req.attach('file', Buffer.isBuffer(content) ? content : Buffer.from(content), { filename, contentType: 'text/csv' });
}

async function contactByEmail(tenantId: string, email: string) {
  return testEnv().container.cradle.database.forTenant(tenantId, (trx) => trx('contacts').where({ tenantId, email }).first());
}

async function countContacts(tenantId: string): Promise<number> {
  const [{ count }] = await testEnv().container.cradle.database.forTenant(tenantId, (trx) => trx('contacts').where({ tenantId }).count({ count: '*' }));
  return Number(count);
}

describe('Contacts (pages, consent, import, export)', () => {
  let owner: { agent: Agent; csrf: string };
  let tenantId: string;

  before(async () => {
    owner = await loginAs(testEnv().app, DEMO_OWNER.email, DEMO_OWNER.password);
    const res = await owner.agent.get('/app/contacts');
    expect(res.status).to.equal(200);
    tenantId = (await testEnv().container.cradle.database.asPlatform((trx) => trx('users as u').join('memberships as m', 'm.userId', 'u.id').where('u.email', DEMO_OWNER.email).whereNotNull('m.tenantId').first('m.tenantId'))).tenantId;
  });

  it('creates a contact with normalised e-mail and phone, and records the consent with its proof in the history', async () => {
    const email = `Jeanne.${tag()}@Exemple.FR`;
    const res = await owner.agent
      .post('/app/contacts')
      .type('form')
      .set('User-Agent', 'Test browser')
      .send({ _csrf: owner.csrf, email, phone: '06 12 34 ' + String(Math.floor(Math.random() * 90) + 10) + ' ' + String(Math.floor(Math.random() * 90) + 10), firstName: 'Jeanne', emailConsent: 'on', consentProof: 'Formulaire papier en boutique, case cochée' });
    expect(res.status).to.equal(303);
    const row = await contactByEmail(tenantId, email.toLowerCase());
    expect(row.phoneE164).to.match(/^\+33612\d{6}$/);
    expect(row).to.deep.include({ emailConsent: true, emailConsentSource: 'manual', smsConsent: false, emailConsentProof: 'Formulaire papier en boutique, case cochée' });
    expect(row.emailConsentAt).to.be.instanceOf(Date);
    const page = await owner.agent.get(res.headers.location);
    expect(page.status).to.equal(200);
    expect(page.text).to.include('Formulaire papier en boutique, case cochée');
    const events = await testEnv().container.cradle.database.forTenant(tenantId, (trx) => trx('contactConsentEvents').where({ contactId: row.id }));
    expect(events).to.have.length(1);
    expect(events[0]).to.deep.include({ medium: 'email', action: 'granted', source: 'manual', userAgent: 'Test browser' });

    // withdraw, then a manual re-grant is refused (only the person can come back)
    expect((await owner.agent.post(`/app/contacts/${row.id}/consent`).type('form').send({ _csrf: owner.csrf, medium: 'email', action: 'withdraw' })).status).to.equal(303);
    const withdrawn = await contactByEmail(tenantId, email.toLowerCase());
    expect(withdrawn).to.deep.include({ emailConsent: false, status: 'unsubscribed' });
    const regrant = await owner.agent.post(`/app/contacts/${row.id}/consent`).type('form').send({ _csrf: owner.csrf, medium: 'email', action: 'grant', consentProof: 'again' });
    expect(regrant.status).to.equal(409);
    const history = await testEnv().container.cradle.database.forTenant(tenantId, (trx) => trx('contactConsentEvents').where({ contactId: row.id }).orderBy('occurredAt'));
    expect(history.map((e) => e.action)).to.deep.equal(['granted', 'withdrawn']);
  });

  it('re-renders the form with what was typed and field errors (bad phone, duplicate e-mail, consent without proof)', async () => {
    const res = await owner.agent.post('/app/contacts').type('form').send({ _csrf: owner.csrf, email: 'x', phone: '12 34', firstName: 'Éloïse' });
    expect(res.status).to.equal(422);
    expect(res.text).to.include('value="Éloïse"');
    expect(res.text).to.include('Cette adresse e-mail n&#39;est pas valide.');
    expect(res.text).to.include('Numéro non reconnu');

    const email = `dup.${tag()}@exemple.fr`;
    expect((await owner.agent.post('/app/contacts').type('form').send({ _csrf: owner.csrf, email })).status).to.equal(303);
    const dup = await owner.agent.post('/app/contacts').type('form').send({ _csrf: owner.csrf, email: email.toUpperCase() });
    expect(dup.status).to.equal(422);
    expect(dup.text).to.include('Un autre contact a déjà cette adresse e-mail.');

    const noProof = await owner.agent.post('/app/contacts').type('form').send({ _csrf: owner.csrf, email: `p.${tag()}@exemple.fr`, smsConsent: 'on' });
    expect(noProof.status).to.equal(422);
    expect(noProof.text).to.include('Il faut un numéro de téléphone pour un consentement SMS.');
  });

  it('imports a French Excel CSV: BOM, semicolons, bad rows reported with reasons, duplicates, existing contacts updated', async () => {
    const t = tag();
    const existing = `exist.${t}@exemple.fr`;
    await owner.agent.post('/app/contacts').type('form').send({ _csrf: owner.csrf, email: existing, firstName: 'Ancien' });
    const list = `Clients ${t}`;
    await owner.agent.post('/app/contacts/lists').type('form').send({ _csrf: owner.csrf, name: list });
    const listId = (await testEnv().container.cradle.database.forTenant(tenantId, (trx) => trx('contactLists').where({ tenantId, name: list }).first('id'))).id;
    const csv = [
      'Adresse e-mail;Prénom;Nom;Téléphone;Entreprise;Ville',
      `nouveau.${t}@exemple.fr;Hélène;Martin;;Boulangerie;Nantes`,
      `${existing.toUpperCase()};Nouveau prénom;;;;`,
      'pas-une-adresse;X;;;;',
      ';Sans;Contact;;;',
      `nouveau.${t}@exemple.fr;Doublon;;;;`,
      `sms.${t}@exemple.fr;;;07 ${String(crypto.randomInt(10, 99))} ${String(crypto.randomInt(10, 99))} 33 44;;`,
      `formule.${t}@exemple.fr;${payloads[2]};;;;`,
      '',
    ].join('\r\n');
    const res = await importFile(owner, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(csv)]), { listId, consentBasis: 'email', consentProof: 'Inscrits au comptoir 2025' });
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.match(/^\/app\/contacts\/imports\/[0-9a-f-]{36}$/);
    const report = await owner.agent.get(res.headers.location);
    expect(report.status).to.equal(200);
    const importId = res.headers.location.split('/').pop();
    const row = await testEnv().container.cradle.database.forTenant(tenantId, (trx) => trx('contactImports').where({ id: importId }).first());
    expect(row).to.deep.include({ status: 'completed', totalRows: 7, importedCount: 3, updatedCount: 1, rejectedCount: 3, consentBasis: 'email' });
    expect(row.columnMapping).to.deep.equal({ email: 'Adresse e-mail', phone: 'Téléphone', firstName: 'Prénom', lastName: 'Nom', company: 'Entreprise' });
    expect(row.rejectedRows.map((r: { line: number; reason: string }) => [r.line, r.reason])).to.deep.equal([
      [4, 'contacts.import.reasons.emailInvalid'],
      [5, 'contacts.import.reasons.missingContact'],
      [6, 'contacts.import.reasons.duplicateInFile'],
    ]);
    expect(report.text).to.include('Doublon de la ligne 2 du fichier');
    expect(report.text).to.include('E-mail invalide');
    expect(report.text).to.include('pas-une-adresse');

    const updated = await contactByEmail(tenantId, existing);
    expect(updated).to.deep.include({ firstName: 'Nouveau prénom', emailConsent: true, emailConsentSource: 'import' });
    expect(updated.emailConsentProof).to.include('Inscrits au comptoir 2025');
    const created = await contactByEmail(tenantId, `nouveau.${t}@exemple.fr`);
    expect(created).to.deep.include({ firstName: 'Hélène', company: 'Boulangerie', source: 'import', importId });
    expect((await contactByEmail(tenantId, `formule.${t}@exemple.fr`)).firstName).to.equal(payloads[2]);
    const members = await testEnv().container.cradle.database.forTenant(tenantId, (trx) => trx('contactListMembers').where({ listId }).pluck('status'));
    expect(members).to.have.length(4);
    expect(new Set(members)).to.deep.equal(new Set(['subscribed']));

    // importing the same file again creates nothing new
    const again = await importFile(owner, csv, { consentBasis: 'none', consentProof: '' });
    const second = await testEnv().container.cradle.database.forTenant(tenantId, (trx) => trx('contactImports').where({ id: again.headers.location.split('/').pop() }).first());
    expect(second).to.deep.include({ importedCount: 0, updatedCount: 4, rejectedCount: 3 });
  });

  it('never gives back by import a consent the person withdrew', async () => {
    const email = `retire.${tag()}@exemple.fr`;
    await importFile(owner, `email\n${email}\n`, { consentBasis: 'email', consentProof: 'Salon 2025' });
    const contact = await contactByEmail(tenantId, email);
    expect(contact.emailConsent).to.equal(true);
    await testEnv().container.cradle.contactService.withdrawConsent(tenantId, contact.id, 'email', { source: 'unsubscribe_link' });
    await importFile(owner, `email\n${email}\n`, { consentBasis: 'email', consentProof: 'Salon 2026' });
    expect(await contactByEmail(tenantId, email)).to.deep.include({ emailConsent: false, status: 'unsubscribed' });
  });

  it('refuses files that are not CSV and imports without a contact column, and validates the form', async () => {
    const xlsx = await importFile(owner, Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00]), { consentBasis: 'none' }, 'clients.xlsx');
    expect(xlsx.status).to.equal(303);
    const failed = await owner.agent.get(xlsx.headers.location);
    expect(failed.text).to.include('n&#39;est pas un CSV');
    const noColumn = await importFile(owner, 'ville;code\nNantes;44000\n', { consentBasis: 'none' });
    expect((await owner.agent.get(noColumn.headers.location)).text).to.include('Aucune colonne e-mail ou téléphone');
    const noProof = await importFile(owner, 'email\na@b.fr\n', { consentBasis: 'both' });
    expect(noProof.status).to.equal(422);
    expect(noProof.text).to.include('Indiquez la preuve du consentement');
    const tooBig = await importFile(owner, Buffer.alloc(5 * 1024 * 1024 + 1, 'a'), { consentBasis: 'none' });
    expect(tooBig.status).to.equal(422);
    expect(tooBig.text).to.include('Le fichier dépasse 5 Mo.');
  });

  it('exports a CSV for French Excel whose formula cells are neutralised and read back as they were', async () => {
    const t = tag();
    const lines = ['email;prenom;nom;entreprise', ...payloads.map((p, i) => `export${i}.${t}@exemple.fr;-${i};@${i};"${p.replace(/"/g, '""')}"`)];
    await importFile(owner, lines.join('\n'), { consentBasis: 'none' });
    const res = await owner.agent.get('/app/contacts/export.csv').buffer(true).parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.equal('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).to.match(/^attachment; filename="contacts-\d{4}-\d{2}-\d{2}\.csv"$/);
    const body = res.body as Buffer;
    expect([...body.subarray(0, 3)]).to.deep.equal([0xef, 0xbb, 0xbf]);
    const rows = parse(body.subarray(3).toString('utf8'), { delimiter: ';' }) as string[][];
    expect(rows[0].slice(0, 5)).to.deep.equal(['E-mail', 'Téléphone', 'Prénom', 'Nom', 'Entreprise']);
    for (const row of rows) for (const cell of row) expect(cell).to.not.match(/^[=+\-@\t\r]/);
    payloads.forEach((p, i) => {
      const row = rows.find((r) => r[0] === `export${i}.${t}@exemple.fr`)!;
      expect(row[2]).to.equal(`'-${i}`);
      expect(row[3]).to.equal(`'@${i}`);
      expect(row[4]).to.equal(/^[=+\-@]/.test(p) ? `'${p}` : p);
    });
    // re-importing the export gives back the original values
    const back = await importFile(owner, body, { consentBasis: 'none' });
    const report = await testEnv().container.cradle.database.forTenant(tenantId, (trx) => trx('contactImports').where({ id: back.headers.location.split('/').pop() }).first());
    expect(report.status).to.equal('completed');
    expect(report).to.deep.include({ importedCount: 0, updatedCount: await countContacts(tenantId), rejectedCount: 0 });
    for (let i = 0; i < payloads.length; i++) {
      expect(await contactByEmail(tenantId, `export${i}.${t}@exemple.fr`)).to.deep.include({ firstName: `-${i}`, lastName: `@${i}`, company: payloads[i] });
    }
  });

  it('lists contacts with search and consent badges, and pages of lists', async () => {
    const t = tag();
    await importFile(owner, `email;nom;telephone\nrecherche.${t}@exemple.fr;Zébulon${t};\n`, { consentBasis: 'none' });
    const res = await owner.agent.get(`/app/contacts?q=${encodeURIComponent('Zébulon' + t)}`);
    expect(res.status).to.equal(200);
    expect(res.text).to.include(`recherche.${t}@exemple.fr`);
    expect(res.text).to.include('E-mail : pas de consentement');
    const fragment = await owner.agent.get(`/app/contacts?q=zzzz-${t}`).set('HX-Request', 'true');
    expect(fragment.text.trim().startsWith('<section id="contact-results"')).to.equal(true);
    expect(fragment.text).to.include('Aucun contact ne correspond.');
    expect((await owner.agent.get('/app/contacts/lists')).status).to.equal(200);
    expect((await owner.agent.get('/app/contacts/import')).status).to.equal(200);
    expect((await owner.agent.get('/app/contacts/new')).status).to.equal(200);
  });

  it('keeps tenants apart: another tenant’s contact, list or import is not found', async () => {
    const email = `isole.${tag()}@exemple.fr`;
    const created = await owner.agent.post('/app/contacts').type('form').send({ _csrf: owner.csrf, email });
    const id = created.headers.location.split('/').pop();
    const other = await loginAs(testEnv().app, DEMO_OWNER_2.email, DEMO_OWNER_2.password);
    expect((await other.agent.get(`/app/contacts/${id}`)).status).to.equal(404);
    expect((await other.agent.post(`/app/contacts/${id}/delete`).type('form').send({ _csrf: other.csrf })).status).to.equal(404);
    expect((await other.agent.get('/app/contacts/not-an-id')).status).to.equal(404);
    const exported = await other.agent.get('/app/contacts/export.csv');
    expect(exported.text).to.not.include(email);
    expect((await other.agent.get(`/app/contacts?q=${email}`).set('HX-Request', 'true')).text).to.include('Aucun contact ne correspond.');
    expect(await contactByEmail(tenantId, email)).to.not.equal(undefined);
  });

  it('lets viewers and editors read but not change contacts (publishing.manage)', async () => {
    const viewer = await addTeamMember(testEnv().app, owner, 'client_viewer');
    expect((await viewer.agent.get('/app/contacts')).status).to.equal(200);
    expect((await viewer.agent.get('/app/contacts/export.csv')).status).to.equal(200);
    expect((await viewer.agent.post('/app/contacts').type('form').send({ _csrf: viewer.csrf, email: `v.${tag()}@exemple.fr` })).status).to.equal(403);
    expect((await viewer.agent.get('/app/contacts/import')).status).to.equal(403);
    const editor = await addTeamMember(testEnv().app, owner, 'client_editor');
    expect((await editor.agent.post('/app/contacts/lists').type('form').send({ _csrf: editor.csrf, name: `L ${tag()}` })).status).to.equal(403);
    expect((await importFile(editor, 'email\na@b.fr\n', { consentBasis: 'none' })).status).to.equal(403);
  });
});
