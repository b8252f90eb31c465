/**
 * A publishing relay in a process of its own, for the exactly-once crash tests: builds the container against the
 * database named by RELAY_DATABASE_URL (RELAY_DATABASE_KIND, RELAY_DATA_DIR whose master key decrypts the accounts'
 * credentials) and runs the outbox relay once, through the real publisher registry (sandbox accounts → sandbox,
 * others → their network's adapter). With RELAY_CRASH_AFTER_PUBLISH=1 (read only here) it dies with exit code 137
 * right after the network accepted the post, before anything is recorded — like a worker killed between "sent" and
 * "committed". Prints the run as JSON otherwise.
 */
import { asFunction } from 'awilix';
import type { DatabaseKind } from '../../src/adapters/db/database.js';
import { loadConfig } from '../../src/config.js';
import { buildContainer } from '../../src/container.js';
import { EnginePublisherRegistry, type NetworkPublishers } from '../../src/modules/publishing/engine/index.js';
import type { Database } from '../../src/adapters/db/database.js';
import type { ConnectedAccount, PublisherRegistry, SocialPublisher } from '../../src/modules/publishing/ports.js';

const url = process.env.RELAY_DATABASE_URL;
const dataDir = process.env.RELAY_DATA_DIR;
if (!url || !dataDir) throw new Error('RELAY_DATABASE_URL and RELAY_DATA_DIR are required');
const crash = process.env.RELAY_CRASH_AFTER_PUBLISH === '1';

class CrashAfterPublish implements PublisherRegistry {
  constructor(private readonly inner: PublisherRegistry) {}
  publisherFor(account: ConnectedAccount): SocialPublisher {
    const publisher = this.inner.publisherFor(account);
    return {
      channel: publisher.channel,
      findPublished: (...args) => publisher.findPublished(...args),
      async publish(...args) {
        const result = await publisher.publish(...args);
        if (crash) process.exit(137);
        return result;
      },
    };
  }
}

const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATA_DIR: dataDir, DEMO: 'true' });
const container = buildContainer(config, { url, kind: (process.env.RELAY_DATABASE_KIND ?? 'postgres') as DatabaseKind }, {
  publisherRegistry: asFunction(
    ({ database, networkPublishers }: { database: Database; networkPublishers: NetworkPublishers }) => new CrashAfterPublish(new EnginePublisherRegistry({ database, networkPublishers })),
  ).singleton(),
});

const run = await container.cradle.outboxRelay.runOnce();
process.stdout.write(JSON.stringify(run));
await container.dispose();
