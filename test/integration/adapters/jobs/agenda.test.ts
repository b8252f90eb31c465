import { expect } from 'chai';
import { createAgenda, scheduleJobs } from '../../../../src/adapters/jobs/agenda.js';
import { allJobs } from '../../../../src/container.js';
import { testEnv } from '../../../support/root-hooks.js';

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('condition not met in time');
}

describe('Agenda worker', function () {
  this.timeout(60_000);

  it('runs the recurring clean-up job on PostgreSQL: expired sessions disappear, live ones stay', async () => {
    const { container, db } = testEnv();
    const { knex, logger } = container.cradle;
    const past = new Date(Date.now() - 60_000);
    const future = new Date(Date.now() + 3600_000);
    await knex('sessions').insert([
      { sid: 'job-test-expired', sess: { cookie: {} }, expiresAt: past },
      { sid: 'job-test-live', sess: { cookie: {} }, expiresAt: future },
    ]);
    const agenda = await createAgenda({ postgresUrl: db.url, notifications: db.kind === 'postgres' }, logger);
    try {
      await scheduleJobs(agenda, allJobs(container.cradle), logger);
      await agenda.now('tenancy:purge-expired');
      await until(async () => !(await knex('sessions').where({ sid: 'job-test-expired' }).first()), 30_000);
      expect(await knex('sessions').where({ sid: 'job-test-live' }).first()).to.exist;
      const scheduled = await knex('agenda_jobs').where({ name: 'tenancy:purge-expired' }).whereNotNull('repeatInterval');
      expect(scheduled).to.have.length(1);
    } finally {
      await agenda.stop();
      await knex('sessions').where({ sid: 'job-test-live' }).delete();
    }
  });
});
