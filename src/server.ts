import type { Server } from 'node:http';
import type { Agenda } from 'agenda';
import { ConfigError, type Config } from './config.js';
import { createApp } from './app.js';
import { allJobs, buildContainer } from './container.js';
import { openDatabase, prepareSchema } from './adapters/db/bootstrap.js';
import { createAgenda, scheduleJobs } from './adapters/jobs/agenda.js';
import { createLogger } from './shared/logger.js';

export interface Roles {
  web: boolean;
  worker: boolean;
}

/** Boots the requested roles and shuts them down gracefully on SIGTERM/SIGINT. */
export async function runServer(config: Config, roles: Roles): Promise<void> {
  const bootLogger = createLogger(config.logLevel);
  if (config.database.kind === 'embedded' && roles.web !== roles.worker) {
    throw new ConfigError([
      { variable: 'DATABASE_URL', message: 'the embedded database belongs to one process: use `npm start`, or set DATABASE_URL to run web and worker apart' },
    ]);
  }
  const db = await openDatabase(config);
  await prepareSchema(db.url, config, bootLogger);
  const container = buildContainer(config, db);
  const { logger } = container.cradle;

  let server: Server | undefined;
  let agenda: Agenda | undefined;
  if (roles.worker) {
    agenda = await createAgenda({ postgresUrl: db.url, notifications: db.kind === 'postgres', mongodbUrl: config.mongodbUrl }, logger);
    await scheduleJobs(agenda, allJobs(container.cradle), logger);
    logger.info('worker started');
  }
  if (roles.web) {
    const app = createApp(container.cradle);
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(config.port, config.host, () => resolve(s));
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const shown = config.publicUrl ?? `http://localhost:${port}`;
    logger.info({ url: shown, database: db.kind }, `Cadence is running at ${shown}`);
    if (config.demo) logger.info('demo accounts: demo@cadence.test / cadence-demo, admin@cadence.test / cadence-admin');
    if (!config.mail.smtp) logger.warn('SMTP_URL is not set: e-mails are recorded in the sandbox (sandbox_deliveries), not sent');
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => process.exit(1), 15_000).unref();
    try {
      if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
      if (agenda) await agenda.stop();
      await container.dispose();
      await db.stop();
      clearTimeout(timer);
      process.exit(0);
    } catch (err) {
      logger.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

/** Entry points call this: a configuration error prints what to fix, without a stack trace. */
export function startOrExit(config: () => Config, roles: Roles): void {
  try {
    runServer(config(), roles).catch(fail);
  } catch (err) {
    fail(err);
  }
}

function fail(err: unknown): never {
  if (err instanceof ConfigError) {
    console.error(err.message);
  } else {
    console.error(err);
  }
  process.exit(1);
}
