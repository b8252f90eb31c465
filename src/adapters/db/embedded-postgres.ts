import fs from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { pinExtendedQueries } from './pglite-protocol-queue.js';

export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

/**
 * Runs PGlite behind a loopback PostgreSQL socket so that pg, Knex and Agenda talk to it like a server.
 * All connections share one backend: session state is shared and a transaction blocks the others.
 * `dataDir` of `memory://` keeps everything in memory (tests).
 */
export async function startEmbeddedPostgres(dataDir: string): Promise<EmbeddedPostgres> {
  const location = dataDir === 'memory://' ? dataDir : path.join(dataDir, 'pg');
  if (location !== 'memory://') await fs.mkdir(location, { recursive: true });
  const db = await PGlite.create(location);
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 64 });
  pinExtendedQueries((server as unknown as { queryQueue: unknown }).queryQueue);
  await server.start();
  const address = (server as unknown as { port: number }).port;
  return {
    url: `postgres://postgres@127.0.0.1:${address}/postgres`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
