import type { Knex } from 'knex';
import { DateTime } from 'luxon';
import { engagementScore, median } from '../../src/modules/pipeline/month-performance.js';

/**
 * Demo mode only: a year of marketing activity for Boulangerie Martin, so the cockpit has something true-looking to
 * show — published contents with their publications (sandbox accounts), the engagement the networks reported day by
 * day, short-link clicks (a few bots among them), conversions, monthly revenue and orders, reviews, brand-safety flags
 * and evergreen proposals. Deterministic for a given day and seed (a seeded PRNG), written in bulk; skipped when the
 * tenant already has engagement figures. `generateDemoAnalytics` is also the benchmark's data generator.
 */

const SOCIAL = ['facebook', 'instagram', 'linkedin', 'google_business'] as const;
type Social = (typeof SOCIAL)[number];

/** Publishing rhythm: ISO weekday → channel, local time (LinkedIn and Google every other week). */
const RHYTHM: { weekday: number; channel: Social; time: [number, number]; everyOtherWeek?: boolean }[] = [
  { weekday: 2, channel: 'facebook', time: [12, 30] },
  { weekday: 3, channel: 'google_business', time: [9, 0], everyOtherWeek: true },
  { weekday: 4, channel: 'instagram', time: [18, 30] },
  { weekday: 1, channel: 'linkedin', time: [8, 30], everyOtherWeek: true },
  { weekday: 6, channel: 'instagram', time: [10, 0] },
];

const THEMES = [
  'Le pain de campagne au levain',
  'Nos croissants pur beurre',
  'La baguette de tradition',
  'Le pain aux céréales',
  'Les chouquettes du mercredi',
  'La tarte aux pommes de saison',
  'Le flan pâtissier',
  'Nos farines locales',
  'Un matin au fournil',
  'Le pain complet',
  'Les viennoiseries du dimanche',
  'La brioche tressée',
  'Le sandwich du midi',
  'Les gestes du fournil',
  'La fougasse aux olives',
  'Le paris-brest',
  'Les macarons maison',
  'Le pain de seigle',
];

const CAMPAIGNS = [
  { name: 'Fête des mères', utm: 'fete-des-meres', month: 5, days: 21 },
  { name: 'Rentrée gourmande', utm: 'rentree-gourmande', month: 9, days: 28 },
  { name: 'Bûches de Noël', utm: 'buches-de-noel', month: 12, days: 24 },
];

const CHANNEL_REACH: Record<Social, number> = { facebook: 1400, instagram: 1900, linkedin: 700, google_business: 500 };
/** Days after publication with an engagement reading (daily for two weeks, then weekly). */
const READINGS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 20, 27, 34, 41, 55];
const REVIEWERS = ['Sophie L.', 'Marc D.', 'Nadia B.', 'Julien R.', 'Camille P.', 'Thomas G.', 'Inès M.', 'Paul V.', 'Léa F.', 'Hugo C.'];
const REVIEW_TEXTS: Record<number, string[]> = {
  5: ['Le meilleur pain du quartier, accueil adorable.', 'Croissants incroyables, on revient chaque dimanche.', 'Tarte aux pommes délicieuse !'],
  4: ['Très bon pain, un peu d’attente le samedi.', 'Bonnes viennoiseries, prix corrects.'],
  3: ['Correct, mais la baguette était trop cuite ce jour-là.'],
  2: ['Déçu par le sandwich, pain un peu sec.'],
  1: ['Commande oubliée, personne pour s’excuser.'],
};

/** mulberry32: small, fast, good enough for demo data, and the same numbers for the same seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface DemoAnalyticsOptions {
  /** The day the year ends (today); nothing is dated after `now`. */
  now: Date;
  timezone: string;
  seed: number;
  locale?: string;
}

export interface DemoAnalyticsSummary {
  contents: number;
  engagementRows: number;
  clicks: number;
  conversions: number;
  reviews: number;
}

/**
 * Writes a year of activity for one tenant (ids drawn from the seed, so two tenants never collide). Runs with the
 * given knex as it is (the seeds' owner connection, or a tenant transaction).
 */
export async function generateDemoAnalytics(knex: Knex, tenantId: string, options: DemoAnalyticsOptions): Promise<DemoAnalyticsSummary> {
  const random = prng(options.seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const between = (min: number, max: number) => min + random() * (max - min);
  const uuid = () => {
    const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16));
    hex[12] = '4';
    hex[16] = ((Number.parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
    const s = hex.join('');
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  };
  const code = () => Array.from({ length: 12 }, () => pick([...'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789'])).join('');
  const locale = options.locale ?? 'fr';
  const now = DateTime.fromJSDate(options.now, { zone: options.timezone });
  const today = now.startOf('day');
  const start = today.minus({ days: 364 });
  const insert = async (table: string, rows: Record<string, unknown>[]) => {
    for (let i = 0; i < rows.length; i += 500) await knex(table).insert(rows.slice(i, i + 500));
  };

  const accounts = Object.fromEntries(SOCIAL.map((channel) => [channel, uuid()])) as Record<Social, string>;
  // Revoked: the history was published through them, but no test or demo content of today is sent through them.
  await insert(
    'channelAccounts',
    SOCIAL.map((channel) => ({
      id: accounts[channel],
      tenantId,
      channel,
      externalAccountId: `demo-history-${channel}-${accounts[channel].slice(0, 8)}`,
      displayName: `Boulangerie Martin (${channel}, historique démo)`,
      sandbox: true,
      status: 'revoked',
      connectedAt: start.toJSDate(),
    })),
  );

  const campaigns = CAMPAIGNS.map((c) => {
    let begins = today.set({ month: c.month, day: 1 });
    if (begins > today) begins = begins.minus({ years: 1 });
    return { ...c, id: uuid(), startsOn: begins, endsOn: begins.plus({ days: c.days - 1 }) };
  }).filter((c) => c.startsOn >= start);
  const existingUtms = new Set(
    (await knex('campaigns').where({ tenantId }).whereIn('utmCampaign', campaigns.map((c) => c.utm)).select('utmCampaign')).map((r: { utmCampaign: string }) => r.utmCampaign),
  );
  const newCampaigns = campaigns.filter((c) => !existingUtms.has(c.utm));
  await insert(
    'campaigns',
    newCampaigns.map((c) => ({
      id: c.id,
      tenantId,
      name: c.name,
      status: 'completed',
      utmCampaign: c.utm,
      startsOn: c.startsOn.toISODate(),
      endsOn: c.endsOn.toISODate(),
      locale,
    })),
  );

  const contents: Record<string, unknown>[] = [];
  const versions: Record<string, unknown>[] = [];
  const slots: Record<string, unknown>[] = [];
  const publications: Record<string, unknown>[] = [];
  const metrics: Record<string, unknown>[] = [];
  const links: Record<string, unknown>[] = [];
  const clicks: Record<string, unknown>[] = [];
  const conversions: Record<string, unknown>[] = [];
  const monthlyActivity = new Map<string, number>();
  const scored: { contentId: string; versionId: string; publicationId: string; score: number; sentAt: DateTime }[] = [];

  for (let day = start; day < today; day = day.plus({ days: 1 })) {
    for (const slot of RHYTHM) {
      if (day.weekday !== slot.weekday || (slot.everyOtherWeek && day.weekNumber % 2 === 1)) continue;
      const sentAt = day.set({ hour: slot.time[0], minute: slot.time[1] });
      const campaign = newCampaigns.find((c) => day >= c.startsOn && day <= c.endsOn);
      const theme = campaign && random() < 0.6 ? `${campaign.name} : ${pick(THEMES).toLowerCase()}` : pick(THEMES);
      const [contentId, versionId, publicationId] = [uuid(), uuid(), uuid()];
      const body = `${theme}. Passez nous voir à la boutique, 12 rue des Lilas.`;
      contents.push({
        id: contentId,
        tenantId,
        channel: slot.channel,
        mode: 'semi',
        status: 'published',
        title: theme,
        brief: theme,
        campaignId: campaign?.id ?? null,
        scheduledAt: sentAt.toJSDate(),
        publishedAt: sentAt.toJSDate(),
        origin: 'pipeline',
        locale,
        createdAt: sentAt.minus({ days: 5 }).toJSDate(),
        updatedAt: sentAt.toJSDate(), // last touched when it went out: the studio lists recent work first
      });
      versions.push({
        id: versionId,
        tenantId,
        contentId,
        number: 1,
        title: theme,
        body,
        charCount: [...body].length,
        source: 'generation',
        brandSafetyStatus: 'ok',
        brandSafetyCheckedAt: sentAt.minus({ days: 5 }).toJSDate(),
        locale,
      });
      slots.push({ tenantId, contentId, channel: slot.channel, startsAt: sentAt.toJSDate(), status: 'published', source: 'plan' });
      publications.push({
        id: publicationId,
        tenantId,
        contentId,
        contentVersionId: versionId,
        channelAccountId: accounts[slot.channel],
        idempotencyKey: `pub:${contentId}:${accounts[slot.channel]}`,
        status: 'sent',
        sandbox: true,
        scheduledFor: sentAt.toJSDate(),
        attempts: 1,
        externalPostId: `sandbox-${publicationId.slice(0, 12)}`,
        sentAt: sentAt.toJSDate(),
      });

      // Final totals: the post's luck, the channel's reach, busier weekends and a campaign boost.
      const luck = Math.exp(between(-0.7, 0.9));
      const boost = (campaign ? 1.4 : 1) * (day.weekday >= 6 ? 1.2 : 1) * (day.month === 12 ? 1.3 : day.month === 8 ? 0.8 : 1);
      const impressions = Math.round(CHANNEL_REACH[slot.channel] * luck * boost);
      const reactions = Math.round(impressions * between(0.03, 0.08));
      const total = {
        impressions,
        reach: Math.round(impressions * 0.8),
        reactions,
        comments: Math.round(reactions * between(0.05, 0.2)),
        shares: Math.round(reactions * between(0.03, 0.12)),
        clicks: Math.round(impressions * between(0.008, 0.02)),
        saves: slot.channel === 'instagram' ? Math.round(reactions * 0.1) : 0,
      };
      for (const offset of READINGS) {
        const metricDay = day.plus({ days: offset });
        if (metricDay >= today) break;
        const share = 1 - Math.exp(-(offset + 1) / 2.5);
        const reading = Object.fromEntries(Object.entries(total).map(([k, v]) => [k, Math.floor(v * share)]));
        metrics.push({ tenantId, publicationId, contentId, channelAccountId: accounts[slot.channel], channel: slot.channel, metricDate: metricDay.toISODate(), capturedAt: metricDay.plus({ hours: 26 }).toJSDate(), ...reading });
        const month = metricDay.startOf('month').toISODate()!;
        monthlyActivity.set(month, (monthlyActivity.get(month) ?? 0) + reading.reactions + reading.comments + reading.shares);
      }
      scored.push({ contentId, versionId, publicationId, score: engagementScore(total), sentAt });

      if (slot.channel === 'google_business' || random() < 0.25) continue; // not every post carries a link
      const linkId = uuid();
      const utmCampaign = campaign?.utm ?? sentAt.toFormat('yyyy-MM');
      const original = `https://boulangerie-martin.example/${campaign ? campaign.utm : 'commande'}`;
      const human = Math.round(total.clicks * between(0.4, 0.8));
      let counted = 0;
      let last: DateTime | null = null;
      for (let i = 0; i < human + Math.round(human * 0.1); i++) {
        const at = sentAt.plus({ minutes: Math.round(-Math.log(1 - random() * 0.999) * 60 * 30) });
        if (at >= now) continue;
        const isBot = i >= human;
        clicks.push({
          tenantId,
          shortLinkId: linkId,
          clickedAt: at.toJSDate(),
          isBot,
          referrerHost: isBot ? null : `${slot.channel === 'linkedin' ? 'linkedin.com' : slot.channel === 'facebook' ? 'facebook.com' : 'instagram.com'}`,
          deviceClass: isBot ? 'other' : pick(['mobile', 'mobile', 'mobile', 'desktop', 'tablet']),
        });
        if (isBot) continue;
        counted++;
        if (!last || at > last) last = at;
        if (random() < 0.05) {
          const occurred = at.plus({ minutes: Math.round(between(2, 90)) });
          if (occurred >= now) continue;
          conversions.push({
            tenantId,
            kind: campaign ? 'purchase' : pick(['purchase', 'purchase', 'booking']),
            source: 'pixel',
            valueCents: Math.round(between(8, 48)) * 100 + pick([0, 50, 90]),
            currency: 'EUR',
            utmSource: slot.channel,
            utmMedium: 'social',
            utmCampaign,
            utmContent: contentId,
            shortLinkId: linkId,
            contentId,
            campaignId: campaign?.id ?? null,
            externalRef: `demo-${linkId.slice(0, 8)}-${i}`,
            occurredAt: occurred.toJSDate(),
          });
        }
      }
      const query = `utm_source=${slot.channel}&utm_medium=social&utm_campaign=${utmCampaign}&utm_content=${contentId}`;
      links.push({
        id: linkId,
        tenantId,
        code: code(),
        originalUrl: original,
        targetUrl: `${original}?${query}`,
        utmSource: slot.channel,
        utmMedium: 'social',
        utmCampaign,
        utmContent: contentId,
        contentId,
        publicationId,
        channel: slot.channel,
        campaignId: campaign?.id ?? null,
        clickCount: counted,
        lastClickedAt: last?.toJSDate() ?? null,
      });
    }
  }

  await insert('contents', contents);
  await insert('contentVersions', versions);
  await knex.raw(
    `update contents c set current_version_id = v.id from content_versions v
     where v.content_id = c.id and v.number = 1 and c.tenant_id = ? and c.current_version_id is null`,
    [tenantId],
  );
  await insert('calendarSlots', slots);
  await insert('publications', publications);
  await insert('engagementMetrics', metrics);
  await insert('shortLinks', links);
  await insert('shortLinkClicks', clicks);
  await insert('conversions', conversions);

  // Monthly business metrics of the complete months: a seasonal baseline plus a part that follows the activity.
  const business: Record<string, unknown>[] = [];
  for (let m = today.startOf('month').minus({ months: 12 }); m < today.startOf('month'); m = m.plus({ months: 1 })) {
    const month = m.toISODate()!;
    const season = m.month === 12 ? 1.3 : m.month === 8 ? 0.75 : m.month === 7 ? 0.9 : 1;
    const revenue = Math.round((32_000 * season + (monthlyActivity.get(month) ?? 0) * 4 + between(-1500, 1500)) * 100);
    business.push({ tenantId, month, kind: 'revenue', value: revenue, unit: 'cents', currency: 'EUR', source: 'manual' });
    business.push({ tenantId, month, kind: 'orders', value: Math.round(revenue / 100 / between(7, 8.5)), unit: 'count', source: 'manual' });
  }
  await knex('businessMetrics').insert(business).onConflict(['tenantId', 'month', 'kind', 'name', 'source']).ignore();

  const reviews: Record<string, unknown>[] = [];
  for (let i = 0; i < 30; i++) {
    const roll = random();
    const rating = roll < 0.5 ? 5 : roll < 0.8 ? 4 : roll < 0.9 ? 3 : roll < 0.96 ? 2 : 1;
    const reviewedAt = start.plus({ minutes: Math.round(random() * today.diff(start, 'minutes').minutes) });
    const replied = random() < 0.6;
    reviews.push({
      tenantId,
      source: 'google_business',
      channelAccountId: accounts.google_business,
      externalId: `demo-review-${accounts.google_business.slice(0, 8)}-${i}`,
      authorName: pick(REVIEWERS),
      rating,
      text: pick(REVIEW_TEXTS[rating]),
      locale,
      reviewedAt: reviewedAt.toJSDate(),
      replyText: replied ? 'Merci beaucoup pour votre avis, à très bientôt à la boutique !' : null,
      replyStatus: replied ? 'posted' : 'none',
      repliedAt: replied ? reviewedAt.plus({ days: 1 }).toJSDate() : null,
    });
  }
  await insert('reviews', reviews);

  // Brand safety: two flags still open, one resolved, one dismissed, on recent contents.
  const recent = scored.slice(-12);
  const flags = [
    { at: recent[1], kind: 'claim', severity: 'high', status: 'open', detail: 'Allégation « le meilleur pain de France » sans justification.' },
    { at: recent[4], kind: 'banned_word', severity: 'medium', status: 'open', detail: 'Mot à éviter selon votre ADN : « industriel ».' },
    { at: recent[7], kind: 'moderation', severity: 'low', status: 'resolved', detail: 'Formulation jugée ambiguë par la modération.' },
    { at: recent[9], kind: 'claim', severity: 'medium', status: 'dismissed', detail: 'Allégation « 100 % bio » vérifiée : farines certifiées.' },
  ].filter((f) => f.at);
  await insert(
    'brandSafetyFlags',
    flags.map((f) => ({
      tenantId,
      subjectType: 'content_version',
      contentVersionId: f.at.versionId,
      contentId: f.at.contentId,
      kind: f.kind,
      severity: f.severity,
      detail: f.detail,
      locale,
      status: f.status,
      resolvedAt: f.status === 'open' ? null : f.at.sentAt.toJSDate(),
      createdAt: f.at.sentAt.minus({ days: 5 }).toJSDate(),
    })),
  );

  // Evergreen: the three best contents of the last 90 days, above the median.
  const window = scored.filter((s) => s.sentAt >= today.minus({ days: 90 }));
  const windowMedian = Math.floor(median(window.map((s) => s.score)) ?? 0);
  const best = [...window].sort((a, b) => b.score - a.score).filter((s) => s.score > windowMedian).slice(0, 3);
  await insert(
    'evergreenCandidates',
    best.map((s) => ({
      tenantId,
      contentId: s.contentId,
      sourcePublicationId: s.publicationId,
      engagementScore: s.score,
      tenantMedianScore: windowMedian,
      windowStart: today.minus({ days: 90 }).toISODate(),
      windowEnd: today.minus({ days: 1 }).toISODate(),
      status: 'proposed',
    })),
  );

  return { contents: contents.length, engagementRows: metrics.length, clicks: clicks.length, conversions: conversions.length, reviews: reviews.length };
}

export async function seed(knex: Knex): Promise<void> {
  const tenant = await knex('tenants').where({ slug: 'boulangerie-martin' }).first('id', 'timezone', 'locale');
  if (!tenant || (await knex('engagementMetrics').where({ tenantId: tenant.id }).first('id'))) return;
  await knex.transaction((trx) => generateDemoAnalytics(trx, tenant.id, { now: new Date(), timezone: tenant.timezone, seed: 20_261_125, locale: tenant.locale }));
}
