import { Agenda } from 'agenda';
import { PostgresBackend } from '@agendajs/postgres-backend';
import type { Logger } from '../../shared/logger.js';
import type { JobDefinition } from '../../shared/jobs.js';

export interface JobBackendOptions {
  postgresUrl: string;
  /** LISTEN/NOTIFY needs a dedicated session, which the embedded database cannot give: poll instead. */
  notifications: boolean;
  mongodbUrl?: string;
}

export async function createAgenda(options: JobBackendOptions, logger: Logger): Promise<Agenda> {
  const backend = options.mongodbUrl
    ? await mongoBackend(options.mongodbUrl)
    : new PostgresBackend({
        connectionString: options.postgresUrl,
        ensureSchema: false, // created by migrations/20261125000000_platform_init.ts
        disableNotifications: !options.notifications,
        poolConfig: { max: 4 },
      });
  const agenda = new Agenda({ backend, processEvery: '5 seconds', defaultLockLifetime: 10 * 60 * 1000 });
  agenda.on('error', (err: Error) => logger.error({ err }, 'agenda error'));
  return agenda;
}

async function mongoBackend(url: string) {
  const { MongoBackend } = await import('@agendajs/mongo-backend');
  return new MongoBackend({ address: url });
}

/** Defines every job; recurring ones are (re)scheduled idempotently — `every` upserts by name. */
export async function scheduleJobs(agenda: Agenda, jobs: readonly JobDefinition[], logger: Logger): Promise<void> {
  for (const job of jobs) {
    agenda.define(job.name, async (run) => {
      const started = Date.now();
      try {
        await job.run((run.attrs.data ?? {}) as Record<string, unknown>);
        logger.info({ job: job.name, ms: Date.now() - started }, 'job done');
      } catch (err) {
        logger.error({ job: job.name, err }, 'job failed');
        throw err;
      }
    });
  }
  await agenda.start();
  for (const job of jobs) {
    if (job.every) await agenda.every(job.every, job.name, undefined, job.timezone ? { timezone: job.timezone } : undefined);
  }
}
