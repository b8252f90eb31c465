import { expect } from 'chai';
import type { Knex } from 'knex';
import { withOwnerKnex } from '../../../../src/adapters/db/migrator.js';
import { testEnv } from '../../../support/root-hooks.js';
import { DEMO_OWNER, DEMO_OWNER_2, loginAs, SUPER_ADMIN } from '../../../support/http.js';
import { addTeamMember, membershipIdOf } from '../../../support/team.js';

async function tenantScopedTables(knex: Knex): Promise<string[]> {
  const rows = await knex('information_schema.columns')
    .where({ tableSchema: 'public', columnName: 'tenant_id' })
    .select('tableName')
    .orderBy('tableName');
  return rows.map((r: { tableName: string }) => r.tableName);
}

describe('Tenant isolation', () => {
  it('every table with a tenant_id (and tenants itself) has row-level security enabled, forced, with a policy', async () => {
    const { knex } = testEnv().container.cradle;
    const tables = [...(await tenantScopedTables(knex)), 'tenants'];
    expect(tables.length).to.be.greaterThan(40);
    const rows = await knex('pg_class as c')
      .join('pg_namespace as n', 'n.oid', 'c.relnamespace')
      .where('n.nspname', 'public')
      .whereIn('c.relname', tables)
      .select('c.relname', 'c.relrowsecurity', 'c.relforcerowsecurity')
      .select(knex.raw('(select count(*) from pg_policy p where p.polrelid = c.oid)::int as policies'));
    const unprotected = rows.filter((r) => !r.relrowsecurity || !r.relforcerowsecurity || r.policies < 1).map((r) => r.relname);
    expect(unprotected).to.deep.equal([]);
    expect(rows.length).to.equal(tables.length);
  });

  it('a query on the application connection without tenant context returns no tenant rows', async () => {
    const { knex } = testEnv().container.cradle;
    const visible: Record<string, number> = {};
    for (const table of await tenantScopedTables(knex)) {
      // platform and distributor rows (tenant_id null, e.g. platform prompt layers) are not tenant rows
      const [{ n }] = await knex(table).whereNotNull('tenantId').count('* as n');
      if (Number(n) > 0) visible[table] = Number(n);
    }
    const [{ n: tenants }] = await knex('tenants').count('* as n');
    if (Number(tenants) > 0) visible.tenants = Number(tenants);
    expect(visible).to.deep.equal({});
    // …while the rows exist, as the owner role sees
    await withOwnerKnex(testEnv().db.url, async (owner) => {
      const [{ n }] = await owner('memberships').whereNotNull('tenantId').count('* as n');
      expect(Number(n)).to.be.greaterThan(1);
    });
  });

  it('inside a tenant context, only that tenant’s rows are visible and writing another tenant’s row is refused', async () => {
    const { database, knex } = testEnv().container.cradle;
    const [a, b] = await database.asPlatform((trx) => trx('tenants').orderBy('slug').select('id', 'slug'));
    const seen = await database.forTenant(a.id, (trx) => trx('tenants').select('id'));
    expect(seen.map((t) => t.id)).to.deep.equal([a.id]);
    const role = await database.asPlatform((trx) => trx('roles').where({ code: 'client_viewer' }).first('id'));
    const user = await database.asPlatform((trx) => trx('users').where({ email: DEMO_OWNER.email }).first('id'));
    let refused: unknown;
    try {
      await database.forTenant(a.id, (trx) => trx('memberships').insert({ userId: user.id, scope: 'tenant', tenantId: b.id, roleId: role.id }));
    } catch (err) {
      refused = err;
    }
    expect(String(refused)).to.match(/row-level security/);
    expect(knex).to.exist;
  });

  it('every tenant route answers 404 for another tenant’s ids (and for malformed ids)', async () => {
    const app = testEnv().app;
    const ownerA = await loginAs(app, DEMO_OWNER.email, DEMO_OWNER.password);
    const ownerB = await loginAs(app, DEMO_OWNER_2.email, DEMO_OWNER_2.password);
    const memberB = await addTeamMember(app, ownerB, 'client_viewer');
    const teamB = await ownerB.agent.get('/app/team');
    const foreignMembership = membershipIdOf(teamB.text, memberB.email);
    await ownerB.agent.post('/app/team/invitations').type('form').send({ email: 'pending-b@example.com', role: 'client_viewer', _csrf: ownerB.csrf });
    const { database } = testEnv().container.cradle;
    const tenantB = await database.asPlatform((trx) => trx('tenants').where({ slug: 'velo-atelier-nantes' }).first('id'));
    const invitationB = await database.forTenant(tenantB.id, (trx) => trx('invitations').where({ email: 'pending-b@example.com' }).first('id'));

    const attempts = [
      ownerA.agent.post(`/app/team/${foreignMembership}/role`).type('form').send({ role: 'client_owner', _csrf: ownerA.csrf }),
      ownerA.agent.post(`/app/team/${foreignMembership}/remove`).type('form').send({ _csrf: ownerA.csrf }),
      ownerA.agent.post(`/app/team/invitations/${invitationB.id}/revoke`).type('form').send({ _csrf: ownerA.csrf }),
      ownerA.agent.post('/app/tenant').type('form').send({ tenantId: tenantB.id, _csrf: ownerA.csrf }),
      ownerA.agent.post('/app/team/not-a-uuid/remove').type('form').send({ _csrf: ownerA.csrf }),
    ];
    for (const res of await Promise.all(attempts)) expect(res.status).to.equal(404);
    // nothing changed on B's side
    expect((await ownerB.agent.get('/app/team')).text).to.include(memberB.email);
    expect((await memberB.agent.get('/app')).text).to.include('Lecteur');
  });

  it('the super admin sees every tenant through the explicit platform context', async () => {
    const admin = await loginAs(testEnv().app, SUPER_ADMIN.email, SUPER_ADMIN.password);
    const res = await admin.agent.get('/admin/tenants');
    expect(res.status).to.equal(200);
    expect(res.text).to.include('Boulangerie Martin');
    expect(res.text).to.include('L’Atelier Vélo Nantes');
    const users = await admin.agent.get('/admin/users');
    expect(users.text).to.include('demo2@cadence.test');
    const ai = await admin.agent.get('/admin/ai');
    expect(ai.status).to.equal(200);
    expect(ai.text).to.include('offline');
  });
});
