import { asValue, type AwilixContainer } from 'awilix';
import { buildContainer, type Cradle } from '../../../../../src/container.js';
import { EnginePublisherRegistry } from '../../../../../src/modules/publishing/engine/index.js';
import { PublishError, type ConnectedAccount, type PublisherRegistry, type SocialChannel, type SocialPublisher } from '../../../../../src/modules/publishing/ports.js';
import { testConfig, testEnv } from '../../../../support/root-hooks.js';
import { createCalendarContent } from '../../calendar/calendar-fixtures.js';

/**
 * The engine's own container on the suite's database: a clock the test moves, and a publisher registry that puts
 * network answers (temporary or permanent errors) in front of the real sandbox when a test asks for them.
 */

export class TestClock {
  current = new Date();
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

/** The sandbox, except that the next publish calls fail with the queued errors (the network's refusals). */
export class ScriptedRegistry implements PublisherRegistry {
  readonly failures: PublishError[] = [];
  publishCalls = 0;
  constructor(private readonly inner: PublisherRegistry) {}
  publisherFor(account: ConnectedAccount): SocialPublisher {
    const publisher = this.inner.publisherFor(account);
    return {
      channel: publisher.channel,
      findPublished: (...args) => publisher.findPublished(...args),
      publish: async (...args) => {
        this.publishCalls += 1;
        const failure = this.failures.shift();
        if (failure) throw failure;
        return publisher.publish(...args);
      },
    };
  }
}

export interface EngineEnv {
  container: AwilixContainer<Cradle>;
  cradle: Cradle;
  clock: TestClock;
  registry: ScriptedRegistry;
}

export function engineEnv(): EngineEnv {
  const clock = new TestClock();
  const container = buildContainer(testConfig(), testEnv().db, { clock: asValue(clock) });
  const registry = new ScriptedRegistry(new EnginePublisherRegistry({ database: container.cradle.database }));
  container.register('publisherRegistry', asValue(registry));
  // Until the links area registers its tagger, links go out as written (tests only).
  if (!container.hasRegistration('linkTagger')) container.register('linkTagger', asValue({ tagText: async (text: string) => text }));
  return { container, cradle: container.cradle, clock, registry };
}

/** A content approved on its slot (status scheduled, slot confirmed), as the approval leaves it. */
export function scheduledContent(tenantId: string, options: { channel?: SocialChannel | 'blog'; startsAt?: Date; title?: string; body?: string; campaignId?: string } = {}): Promise<string> {
  return createCalendarContent(tenantId, {
    channel: options.channel ?? 'linkedin',
    status: 'scheduled',
    slotStatus: 'confirmed',
    startsAt: options.startsAt ?? new Date(Date.now() - 60_000),
    title: options.title ?? 'Nouvelle vitrine',
    body: options.body ?? 'Notre nouvelle vitrine est prête : passez la découvrir dès samedi.',
    campaignId: options.campaignId ?? null,
  });
}

export async function rows(cradle: Cradle, tenantId: string, table: string, where: Record<string, unknown> = {}): Promise<Record<string, any>[]> {
  return cradle.database.forTenant(tenantId, (trx) => trx(table).where({ tenantId, ...where }).orderBy('createdAt'));
}

export async function deliveriesFor(cradle: Cradle, tenantId: string, key: string): Promise<Record<string, any>[]> {
  return cradle.database.forTenant(tenantId, (trx) => trx('sandboxDeliveries').where({ tenantId }).whereRaw(`payload->>'idempotencyKey' = ?`, [key]));
}

export async function failureMails(cradle: Cradle, tenantId: string): Promise<Record<string, any>[]> {
  return cradle.database.forTenant(tenantId, (trx) => trx('sandboxDeliveries').where({ tenantId, channel: 'email' }).whereRaw(`payload->>'kind' = 'publication_failed'`));
}
