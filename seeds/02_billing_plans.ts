import type { Knex } from 'knex';

/**
 * The public plans, their channel quotas and connectors, and the credit conversion rate.
 *
 * Prices are monthly, in euro cents, excluding VAT. One credit is worth 0.01 USD of AI cost at catalogue prices
 * (credit_rates), so a premium-model social post costs about 3 to 5 credits and a standard-model one about 1.
 *
 * Idempotent: rows are keyed by their natural keys (plan code, plan × channel, plan × connector, currency × date)
 * and merged. Until the V2 plan editor exists these seeds are the source of truth for plans (legal documents are
 * seeded apart, in `05_legal_documents.ts`, as templates for counsel to review).
 */

type Channel = 'linkedin' | 'facebook' | 'instagram' | 'x' | 'google_business' | 'blog' | 'newsletter' | 'sms';

interface PlanSeed {
  code: string;
  name: string;
  description: string;
  priceCents: number;
  monthlyCredits: number;
  regenerationCap: number;
  allowedModelTiers: ('premium' | 'standard')[];
  mediaStorageLimitBytes: number;
  watchSourcesLimit: number;
  watchMinPollIntervalMinutes: number;
  seats: number;
  sortOrder: number;
  quotas: Partial<Record<Channel, number>>;
  connectors: { code: string; inclusion: 'included' | 'addon'; addonPriceCents?: number }[];
}

const GIB = 1024 ** 3;

const SOCIAL = ['linkedin', 'facebook', 'instagram', 'google_business'] as const;

export const PLANS: readonly PlanSeed[] = [
  {
    code: 'starter',
    name: 'Starter',
    description:
      'L’essentiel pour publier chaque semaine sur vos réseaux, votre fiche Google et votre blog, avec les moteurs IA Standard.',
    priceCents: 4900,
    monthlyCredits: 1000,
    regenerationCap: 3,
    allowedModelTiers: ['standard'],
    mediaStorageLimitBytes: 2 * GIB,
    watchSourcesLimit: 5,
    watchMinPollIntervalMinutes: 1440,
    seats: 2,
    sortOrder: 10,
    quotas: { linkedin: 8, facebook: 8, instagram: 8, google_business: 4, blog: 2, newsletter: 1 },
    connectors: [
      ...SOCIAL.map((code) => ({ code, inclusion: 'included' as const })),
      { code: 'wordpress', inclusion: 'included' },
      { code: 'google_analytics', inclusion: 'addon', addonPriceCents: 900 },
    ],
  },
  {
    code: 'growth',
    name: 'Growth',
    description:
      'Tous les réseaux sociaux, la newsletter et les moteurs IA Premium pour accélérer votre croissance, avec une veille concurrentielle plus fréquente.',
    priceCents: 12900,
    monthlyCredits: 4000,
    regenerationCap: 5,
    allowedModelTiers: ['premium', 'standard'],
    mediaStorageLimitBytes: 10 * GIB,
    watchSourcesLimit: 20,
    watchMinPollIntervalMinutes: 360,
    seats: 5,
    sortOrder: 20,
    quotas: { linkedin: 12, facebook: 12, instagram: 16, x: 20, google_business: 8, blog: 4, newsletter: 2 },
    connectors: [
      ...SOCIAL.map((code) => ({ code, inclusion: 'included' as const })),
      { code: 'x', inclusion: 'included' },
      { code: 'wordpress', inclusion: 'included' },
      { code: 'google_analytics', inclusion: 'included' },
      { code: 'hubspot', inclusion: 'addon', addonPriceCents: 1900 },
      { code: 'pipedrive', inclusion: 'addon', addonPriceCents: 1900 },
    ],
  },
  {
    code: 'scale',
    name: 'Scale',
    description:
      'Pour les entreprises multi-sites : gros volumes sur tous les canaux, campagnes SMS, veille étendue, équipe élargie et intégrations CRM incluses.',
    priceCents: 29900,
    monthlyCredits: 12000,
    regenerationCap: 10,
    allowedModelTiers: ['premium', 'standard'],
    mediaStorageLimitBytes: 50 * GIB,
    watchSourcesLimit: 60,
    watchMinPollIntervalMinutes: 60,
    seats: 15,
    sortOrder: 30,
    quotas: { linkedin: 30, facebook: 30, instagram: 30, x: 60, google_business: 12, blog: 8, newsletter: 4, sms: 4 },
    connectors: [
      ...SOCIAL.map((code) => ({ code, inclusion: 'included' as const })),
      { code: 'x', inclusion: 'included' },
      { code: 'wordpress', inclusion: 'included' },
      { code: 'google_analytics', inclusion: 'included' },
      { code: 'hubspot', inclusion: 'included' },
      { code: 'pipedrive', inclusion: 'included' },
      { code: 'salesforce', inclusion: 'included' },
    ],
  },
];

/** 1 credit = 10,000 micro-USD = 0.01 USD of AI cost at catalogue prices. */
const CREDIT_RATES = [{ currency: 'USD', microsPerCredit: 10_000, effectiveFrom: new Date('2026-01-01T00:00:00Z') }];

export async function seed(knex: Knex): Promise<void> {
  await knex.transaction(async (trx) => {
    for (const plan of PLANS) {
      const [{ id: planId }] = (await trx('plans')
        .insert({
          code: plan.code,
          name: plan.name,
          description: plan.description,
          locale: 'fr',
          visibility: 'public',
          priceCents: plan.priceCents,
          currency: 'EUR',
          billingInterval: 'month',
          trialDays: 14,
          monthlyCredits: plan.monthlyCredits,
          regenerationCap: plan.regenerationCap,
          allowedChannels: Object.keys(plan.quotas),
          allowedModelTiers: plan.allowedModelTiers,
          mediaStorageLimitBytes: plan.mediaStorageLimitBytes,
          watchSourcesLimit: plan.watchSourcesLimit,
          watchMinPollIntervalMinutes: plan.watchMinPollIntervalMinutes,
          seats: plan.seats,
          active: true,
          sortOrder: plan.sortOrder,
        })
        .onConflict('code')
        .merge()
        .returning('id')) as { id: string }[];

      const quotas = Object.entries(plan.quotas).map(([channel, itemsPerMonth]) => ({ planId, channel, itemsPerMonth }));
      await trx('planChannelQuotas')
        .where({ planId })
        .whereNotIn('channel', quotas.map((q) => q.channel))
        .delete();
      await trx('planChannelQuotas').insert(quotas).onConflict(['planId', 'channel']).merge(['itemsPerMonth']);

      const connectors = plan.connectors.map((c) => ({
        planId,
        connectorCode: c.code,
        inclusion: c.inclusion,
        addonPriceCents: c.addonPriceCents ?? 0,
        currency: 'EUR',
      }));
      await trx('planConnectors')
        .where({ planId })
        .whereNotIn('connectorCode', connectors.map((c) => c.connectorCode))
        .delete();
      await trx('planConnectors')
        .insert(connectors)
        .onConflict(['planId', 'connectorCode'])
        .merge(['inclusion', 'addonPriceCents', 'currency']);
    }

    await trx('creditRates').insert(CREDIT_RATES).onConflict(['currency', 'effectiveFrom']).merge(['microsPerCredit']);
  });
}
