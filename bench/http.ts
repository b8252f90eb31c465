import { startBareServer } from './bare-server.js';
import { DEMO_OWNER, startCadence } from './support/cadence.js';
import { loadTest, type LoadResult } from './support/load.js';

/**
 * `http`: an authenticated portal page of Cadence (GET /app/team as the demo owner: session, viewer,
 * CSRF, RLS transactions, i18n, layout) against a bare Express + pg + Eta page running one comparable
 * query, on the same database, loaded the same way by autocannon from a child process.
 */

const settings = {
  connections: Number(process.env.BENCH_CONNECTIONS ?? 10),
  duration_s: Number(process.env.BENCH_DURATION ?? 10),
  warmup_s: Number(process.env.BENCH_WARMUP ?? 3),
};

const TENANT_SLUG = 'boulangerie-martin'; // the demo owner's workspace

export async function run() {
  const cadence = await startCadence();
  try {
    const cookie = await cadence.login(DEMO_OWNER.email, DEMO_OWNER.password);
    const bare = await startBareServer({ databaseUrl: cadence.database.url, tenantSlug: TENANT_SLUG, poolMax: cadence.config.dbPoolMax });
    try {
      const portalUrl = `${cadence.url}/app/team`;
      const bareUrl = `${bare.url}/team`;

      // Both pages must list the same team before they are compared.
      const members = await countMembers(portalUrl, { cookie });
      const bareMembers = await countMembers(bareUrl);
      if (members === 0 || members !== bareMembers) {
        throw new Error(`the pages differ: ${members} member(s) on the portal, ${bareMembers} on the bare page`);
      }

      const load = { connections: settings.connections, durationSeconds: settings.duration_s, warmupSeconds: settings.warmup_s };
      const portal = await loadTest({ url: portalUrl, headers: { cookie }, ...load });
      const baseline = await loadTest({ url: bareUrl, ...load });
      for (const [name, result] of [['portal', portal], ['bare', baseline]] as const) {
        if (result.non_200 || result.errors) {
          throw new Error(`${name}: ${result.non_200} non-200 response(s) ${JSON.stringify(result.status_codes)}, ${result.errors} error(s)`);
        }
      }

      return {
        portal: figures(portal),
        bare: figures(baseline),
        ratio: Math.round((portal.rps / baseline.rps) * 1000) / 1000,
        settings: {
          ...settings,
          pipelining: 1,
          portal_page: 'GET /app/team (demo owner)',
          bare_page: 'GET /team (one query, Eta)',
          team_members: members,
          db_pool_max: cadence.config.dbPoolMax,
          node_env: cadence.config.env,
          load_generator: 'autocannon, child process',
        },
      };
    } finally {
      await bare.stop();
    }
  } finally {
    await cadence.stop();
  }
}

function figures(r: LoadResult) {
  return { rps: r.rps, p50_ms: r.p50_ms, p95_ms: r.p95_ms, requests: r.requests, non_2xx: r.non_200 };
}

async function countMembers(url: string, headers: Record<string, string> = {}): Promise<number> {
  const res = await fetch(url, { headers, redirect: 'manual' });
  const html = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status}`);
  return html.match(/<tr id="member-/g)?.length ?? 0;
}
