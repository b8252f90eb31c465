import fs from 'node:fs';
import { expect } from 'chai';
import { testEnv } from '../../support/root-hooks.js';

describe('docs/schema.md', () => {
  it('documents every table of the database with its phase', async () => {
    const doc = fs.readFileSync('docs/schema.md', 'utf8');
    const { knex } = testEnv().container.cradle;
    const tables: string[] = (await knex('pg_tables').where('schemaname', 'public').pluck('tablename')).filter((t: string) => !t.startsWith('knex_'));
    const missing = tables.filter((t) => !new RegExp('`' + t + '`').test(doc));
    expect(missing).to.deep.equal([]);
    for (const phase of ['V1', 'V2', 'V3']) expect(doc).to.include(`| ${phase}`);
  });

  it('every table with translatable text has a locale column, and every listed translatable field exists', async () => {
    const doc = fs.readFileSync('docs/schema.md', 'utf8');
    const { knex } = testEnv().container.cradle;
    const columns: { tableName: string; columnName: string }[] = await knex('information_schema.columns').where('tableSchema', 'public').select('tableName', 'columnName');
    const has = new Set(columns.map((c) => `${c.tableName}.${c.columnName}`));
    const sections = doc.split('### Translatable fields').slice(1).map((part) => part.split(/\n#{2,3} /)[0]);
    const listed = sections.flatMap((section) => [...section.matchAll(/^- `([a-z_]+)\.([a-z_]+)`/gm)].map((m) => [m[1], m[2]] as const));
    expect(listed.length).to.be.greaterThan(30);
    const unknown = listed.filter(([t, c]) => !has.has(`${t}.${c}`)).map(([t, c]) => `${t}.${c}`);
    expect(unknown).to.deep.equal([]);
    const withoutLocale = [...new Set(listed.map(([t]) => t))].filter((t) => !has.has(`${t}.locale`) && t !== 'users' && t !== 'tenants');
    expect(withoutLocale).to.deep.equal([]);
  });
});
