import { asValue, type AwilixContainer } from 'awilix';
import { buildContainer, type Cradle } from '../../../../../src/container.js';
import type { SocialChannel } from '../../../../../src/modules/publishing/ports.js';
import { testEnv } from '../../../../support/root-hooks.js';
import type { Network, SocialEmulator } from '../../../../support/social-emulator/linkedin-x.js';
import { TestClock } from '../engine/engine-support.js';

/** Platform apps of LinkedIn and X pointing at the emulator, as the super admin's connectors page stores them. */
export async function configureEmulatorApps(emulator: SocialEmulator, networks: Network[] = ['linkedin', 'x']): Promise<void> {
  const { database, secretBox } = testEnv().container.cradle;
  await database.asPlatform(async (trx) => {
    for (const network of networks) {
      const { settings, secrets } = emulator.connector(network);
      // the one default app of the network is the emulator's
      await trx('platformConnectors').where({ kind: network }).whereNull('distributorId').update({ isDefault: false });
      await trx('platformConnectors').insert({
        kind: network,
        name: `Emulator ${network} ${Date.now()}`,
        settings: JSON.stringify(settings),
        secretsEncrypted: secretBox.seal(JSON.stringify(secrets)),
        active: true,
        isDefault: true,
      });
    }
  });
}

/** Removes the emulator's apps (other suites expect no real app on the platform). */
export async function removeEmulatorApps(): Promise<void> {
  await testEnv().container.cradle.database.asPlatform((trx) => trx('platformConnectors').where('name', 'like', 'Emulator %').delete());
}

export interface RelayEnv {
  container: AwilixContainer<Cradle>;
  cradle: Cradle;
  clock: TestClock;
}

/** A container on the suite's database and master key with a clock the test moves, and the real publisher registry. */
export function relayEnv(): RelayEnv {
  const clock = new TestClock();
  const container = buildContainer(testEnv().config, testEnv().db, { clock: asValue(clock) });
  return { container, cradle: container.cradle, clock };
}

/**
 * Connects the emulator's account as the user would, without a browser: the connect service's authorisation URL,
 * the emulator's consent redirect, then the callback with the returned code and state.
 */
export async function connectThroughEmulator(cradle: Cradle, tenantId: string, userId: string, channel: SocialChannel): Promise<string> {
  const redirectUri = `http://cadence.test/app/channels/callback/${channel}`;
  const started = await cradle.channelConnectService.start(tenantId, channel, redirectUri);
  const consent = await fetch(started.url, { redirect: 'manual' });
  const back = new URL(consent.headers.get('location') ?? '');
  if (back.searchParams.get('state') !== started.state) throw new Error('state not returned');
  const outcome = await cradle.channelConnectService.finish(tenantId, userId, channel, started.pending, { code: back.searchParams.get('code') ?? undefined });
  if (outcome.kind !== 'connected') throw new Error('several accounts offered');
  const row = await cradle.database.forTenant(tenantId, (trx) => trx('channelAccounts').where({ tenantId, channel, sandbox: false }).orderBy('connectedAt', 'desc').first('id'));
  return row.id as string;
}
