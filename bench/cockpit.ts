import { DateTime } from 'luxon';
import { withOwnerKnex } from '../src/adapters/db/migrator.js';
import { resolvePeriods } from '../src/modules/analytics/cockpit-period.js';
import { generateDemoAnalytics } from '../seeds/demo/03_demo_analytics.js';
import { DEMO_OWNER, startCadence } from './support/cadence.js';

/**
 * `cockpit`: GET /app (the cockpit, every section in one response) as the demo owner, whose workspace holds a year
 * of activity (the demo seed), among other tenants with a year each (same generator, other seeds), so the indexes
 * have to pick one tenant's rows out of many. Sequential requests from this process over HTTP; then each section's
 * query alone, to see where the time goes.
 */

const settings = {
  requests: Number(process.env.BENCH_COCKPIT_REQUESTS ?? 200),
  warmup: Number(process.env.BENCH_COCKPIT_WARMUP ?? 20),
  other_tenants: Number(process.env.BENCH_COCKPIT_TENANTS ?? 9),
  section_runs: Number(process.env.BENCH_COCKPIT_SECTION_RUNS ?? 50),
};

const TENANT_SLUG = 'boulangerie-martin';

export async function run() {
  const cadence = await startCadence();
  try {
    const { database } = cadence.container.cradle;
    const tenant = await database.asPlatform((trx) => trx('tenants').where({ slug: TENANT_SLUG }).first('id', 'timezone', 'distributorId'));
    const generated = await withOwnerKnex(cadence.database.url, async (knex) => {
      for (let i = 0; i < settings.other_tenants; i++) {
        const [other] = await knex('tenants').insert({ slug: `bench-cockpit-${i}`, name: `Bench ${i}`, distributorId: tenant.distributorId, locale: 'fr' }).returning('id');
        await knex.transaction((trx) => generateDemoAnalytics(trx, other.id, { now: new Date(), timezone: 'Europe/Paris', seed: 1000 + i }));
      }
      await knex.raw('analyze');
      const count = async (table: string) => Number((await knex(table).where({ tenantId: tenant.id }).count({ n: '*' }).first())?.n);
      const all = async (table: string) => Number((await knex(table).count({ n: '*' }).first())?.n);
      return {
        tenant: {
          publications: await count('publications'),
          engagement_metrics: await count('engagementMetrics'),
          short_link_clicks: await count('shortLinkClicks'),
          conversions: await count('conversions'),
          reviews: await count('reviews'),
        },
        all_tenants: { engagement_metrics: await all('engagementMetrics'), short_link_clicks: await all('shortLinkClicks') },
      };
    });

    const cookie = await cadence.login(DEMO_OWNER.email, DEMO_OWNER.password);
    const pages: Record<string, { p50_ms: number; p95_ms: number; bytes: number }> = {};
    for (const period of ['30d', '12m']) {
      const url = `${cadence.url}/app?period=${period}`;
      const first = await fetch(url, { headers: { cookie }, redirect: 'manual' });
      const html = await first.text();
      if (first.status !== 200 || !html.includes('id="tile-impressions"') || !html.includes('<svg class="chart chart-line"')) {
        throw new Error(`GET /app?period=${period}: ${first.status}, cockpit not rendered`);
      }
      for (let i = 0; i < settings.warmup; i++) await get(url, cookie);
      const times: number[] = [];
      for (let i = 0; i < settings.requests; i++) times.push(await get(url, cookie));
      pages[period] = { p50_ms: percentile(times, 50), p95_ms: percentile(times, 95), bytes: html.length };
    }

    // Each section's read alone (its own tenant-scoped transaction), on the 30-day period.
    const repo = cadence.container.cradle.cockpitRepository;
    const periods = resolvePeriods({ period: '30d' }, new Date(), tenant.timezone);
    const trend = { ...periods.current, from: DateTime.fromISO(periods.months[0], { zone: tenant.timezone }).toJSDate(), firstDay: periods.months[0] };
    const sections: Record<string, () => Promise<unknown>> = {
      engagement_series: () => repo.engagementSeries(tenant.id, periods),
      content_engagement: () => repo.contentEngagement(tenant.id, periods.current),
      attribution: () => repo.attribution(tenant.id, periods.current, periods.previous),
      monthly: () => repo.monthly(tenant.id, trend, tenant.timezone),
      reviews: () => repo.reviews(tenant.id, periods.current, periods.previous, trend, tenant.timezone),
      brand_safety: () => repo.brandSafety(tenant.id, periods.current),
      evergreen: () => repo.evergreen(tenant.id),
      watch_changes: () => repo.watchChanges(tenant.id, periods.current),
      credits_used: () => repo.creditsUsed(tenant.id, periods.current, periods.previous),
    };
    const sectionTimes: Record<string, number> = {};
    for (const [name, read] of Object.entries(sections)) {
      const times: number[] = [];
      for (let i = 0; i < settings.section_runs; i++) {
        const started = performance.now();
        await read();
        times.push(performance.now() - started);
      }
      sectionTimes[name] = percentile(times, 50);
    }

    return {
      p50_ms: pages['30d'].p50_ms,
      p95_ms: pages['30d'].p95_ms,
      target_met: pages['30d'].p50_ms < 100 && pages['12m'].p50_ms < 100,
      pages,
      section_p50_ms: sectionTimes,
      data: generated,
      settings: { ...settings, page: 'GET /app?period=30d (demo owner), and period=12m', client: 'sequential fetch, same process', node_env: cadence.config.env },
    };
  } finally {
    await cadence.stop();
  }
}

async function get(url: string, cookie: string): Promise<number> {
  const started = performance.now();
  const res = await fetch(url, { headers: { cookie }, redirect: 'manual' });
  await res.arrayBuffer();
  const elapsed = performance.now() - started;
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status}`);
  return elapsed;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[index] * 100) / 100;
}
