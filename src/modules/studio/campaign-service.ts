import { z } from 'zod';
import { parseInput } from '../../shared/validation.js';
import type { KnexCampaignRepository } from './db/knex-campaign-repository.js';

export const CAMPAIGN_STATUSES = ['draft', 'active', 'paused', 'completed', 'archived'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

export interface Campaign {
  id: string;
  name: string;
  objective: string;
  /** Calendar days `YYYY-MM-DD`, as typed. */
  startsOn: string | null;
  endsOn: string | null;
  status: CampaignStatus;
  /** The `utm_campaign` value of every link the campaign's contents carry. */
  utmCampaign: string;
  color: string | null;
  contentCount: number;
  createdAt: Date;
}

const E = 'studio.campaigns.errors';
const UTM_MAX = 80;

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const isoDate = z.preprocess(
  blankToUndefined,
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, `${E}.dateInvalid`)
    .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), `${E}.dateInvalid`)
    .optional(),
);

export const newCampaignSchema = z
  .object({
    name: z.string({ error: `${E}.nameRequired` }).trim().min(1, `${E}.nameRequired`).max(200, `${E}.nameTooLong`),
    objective: z.preprocess(blankToUndefined, z.string().trim().max(2_000, `${E}.objectiveTooLong`).optional()),
    startsOn: isoDate,
    endsOn: isoDate,
    status: z.preprocess(blankToUndefined, z.enum(CAMPAIGN_STATUSES, { error: `${E}.statusInvalid` }).optional()),
    color: z.preprocess(blankToUndefined, z.string().regex(/^#[0-9a-fA-F]{6}$/, `${E}.colorInvalid`).optional()),
  })
  .refine((c) => !c.startsOn || !c.endsOn || c.endsOn >= c.startsOn, { path: ['endsOn'], message: `${E}.endsBeforeStart` })
  .refine((c) => utmSlug(c.name) !== '', { path: ['name'], message: `${E}.nameNeedsLetters` });
export type NewCampaignInput = z.input<typeof newCampaignSchema>;

/** The `utm_campaign` slug of a name: lowercase ASCII letters and digits, accents folded, words joined by hyphens. */
export function utmSlug(name: string): string {
  const words = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/œ/g, 'oe')
    .replace(/æ/g, 'ae')
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  let slug = '';
  for (const w of words) {
    const next = slug ? `${slug}-${w}` : w;
    if (next.length > UTM_MAX) {
      if (!slug) slug = w.slice(0, UTM_MAX);
      break;
    }
    slug = next;
  }
  return slug;
}

/** Campaigns group contents (and tag their links with one `utm_campaign`). */
export class CampaignService {
  constructor(private readonly deps: { campaignRepository: KnexCampaignRepository }) {}

  list(tenantId: string): Promise<Campaign[]> {
    return this.deps.campaignRepository.list(tenantId);
  }

  /** A new campaign; its utm slug comes from the name, made unique in the tenant (`soldes-2`…). */
  create(tenantId: string, userId: string, input: NewCampaignInput | Record<string, unknown>, locale: string): Promise<Campaign> {
    const data = parseInput(newCampaignSchema, input);
    return this.deps.campaignRepository.create(tenantId, {
      name: data.name,
      objective: data.objective ?? '',
      startsOn: data.startsOn ?? null,
      endsOn: data.endsOn ?? null,
      status: data.status ?? 'active',
      color: data.color?.toLowerCase() ?? null,
      utmCampaign: utmSlug(data.name),
      locale,
      createdBy: userId,
    });
  }
}
