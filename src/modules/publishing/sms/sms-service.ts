import { AppError, NotFoundError } from '../../../shared/errors.js';
import type { Clock } from '../../../shared/clock.js';
import { smsCostEstimate, type SmsCostEstimate, type SmsSegmentInfo } from '../../studio/sms-segments.js';
import type { SmsConnectors } from './connectors.js';
import type { KnexSmsRepository, ProgressCounts, SmsCampaignRow } from './db/knex-sms-repository.js';
import type { SmsProviderCode } from './provider.js';
import { DEFAULT_CURRENCY, DEFAULT_PRICE_PER_SEGMENT_MICROS, ensureCompliantText, nextAllowedSendTime, senderIdFrom } from './rules.js';

/** Contents that may be sent: approved (on the calendar) and not yet gone out. */
const SENDABLE_CONTENT_STATUSES = ['scheduled'];

export interface SmsPreparation {
  campaignId: string;
  contentId: string;
  contentTitle: string;
  contentStatus: string;
  sendable: boolean;
  recipients: number;
  originalText: string;
  text: string;
  senderId: string;
  senderName: string;
  senderAdded: boolean;
  stopAdded: boolean;
  info: SmsSegmentInfo;
  cost: SmsCostEstimate;
  currency: string;
  provider: SmsProviderCode;
  /** When the user wants it to go (the content's slot, or now). */
  requestedAt: Date;
  /** The first allowed instant at or after it (quiet hours, Sundays, holidays in the tenant's zone). */
  plannedAt: Date;
  timezone: string;
}

export interface SmsCampaignProgress {
  campaign: SmsCampaignRow;
  counts: ProgressCounts;
}

export class SmsService {
  constructor(private readonly deps: { smsRepository: KnexSmsRepository; smsConnectors: SmsConnectors; clock: Clock }) {}

  /**
   * What sending this SMS content would do, recorded as the content's draft campaign: recipients (SMS consent,
   * not opted out, valid number), the compliant text (sender named, free STOP), segments, encoding, the cost
   * estimate and the planned send time after quiet hours.
   */
  async prepareCampaign(tenantId: string, contentId: string, userId: string | null = null): Promise<SmsPreparation> {
    const { smsRepository, smsConnectors, clock } = this.deps;
    const content = await smsRepository.smsContent(tenantId, contentId);
    if (!content) throw new NotFoundError();
    if (!content.body?.trim()) throw new AppError('sms.errors.emptyContent', 409);
    const [profile, recipients, { connectorId, provider, settings }] = await Promise.all([
      smsRepository.tenantProfile(tenantId),
      smsRepository.countRecipients(tenantId),
      smsConnectors.active(),
    ]);
    const unitPriceMicros = positiveInt(settings.pricePerSegmentMicros) ?? DEFAULT_PRICE_PER_SEGMENT_MICROS;
    const currency = typeof settings.currency === 'string' && /^[A-Z]{3}$/.test(settings.currency) ? settings.currency : DEFAULT_CURRENCY;
    const compliant = ensureCompliantText(content.body, profile.name, { stopMention: settings.stopMention, unitPriceMicros });
    const segments = Math.max(compliant.info.segments, 1);
    const cost = smsCostEstimate(segments, recipients, unitPriceMicros);
    const senderId = (settings.sender && settings.sender.slice(0, 11)) || senderIdFrom(profile.name) || 'Cadence';
    const now = clock.now();
    const requestedAt = content.scheduledAt && content.scheduledAt.getTime() > now.getTime() ? content.scheduledAt : now;
    const plannedAt = nextAllowedSendTime(requestedAt, profile.timezone);
    const campaign = await smsRepository.saveDraft(tenantId, {
      name: (content.title || compliant.text.slice(0, 60)).slice(0, 200),
      contentId,
      contentVersionId: content.currentVersionId,
      platformConnectorId: connectorId,
      senderId,
      body: compliant.text,
      encoding: compliant.info.encoding,
      segmentsPerMessage: segments,
      scheduledAt: plannedAt,
      recipientCount: recipients,
      costEstimateMicros: cost.totalMicros,
      currency,
      createdBy: userId,
      locale: profile.locale,
    });
    return {
      campaignId: campaign.id,
      contentId,
      contentTitle: content.title,
      contentStatus: content.status,
      sendable: SENDABLE_CONTENT_STATUSES.includes(content.status) && recipients > 0,
      recipients,
      originalText: content.body,
      text: compliant.text,
      senderId,
      senderName: profile.name,
      senderAdded: compliant.senderAdded,
      stopAdded: compliant.stopAdded,
      info: compliant.info,
      cost,
      currency,
      provider: provider.code,
      requestedAt,
      plannedAt,
      timezone: profile.timezone,
    };
  }

  /**
   * Launches a prepared campaign once: its messages are queued for the planned (allowed) time and the
   * `sms:send-due` job sends them. A second call, or a campaign already launched, is a conflict.
   */
  async sendCampaign(tenantId: string, campaignId: string): Promise<SmsCampaignRow> {
    const { smsRepository, clock } = this.deps;
    const campaign = await smsRepository.campaign(tenantId, campaignId);
    if (!campaign) throw new NotFoundError();
    if (campaign.status !== 'draft') throw new AppError('sms.errors.alreadySent', 409);
    const content = campaign.contentId ? await smsRepository.smsContent(tenantId, campaign.contentId) : undefined;
    if (!content) throw new NotFoundError();
    if (!SENDABLE_CONTENT_STATUSES.includes(content.status)) throw new AppError('sms.errors.notApproved', 409);
    if (content.currentVersionId !== campaign.contentVersionId) throw new AppError('sms.errors.stalePreparation', 409);
    const profile = await smsRepository.tenantProfile(tenantId);
    const now = clock.now();
    const requestedAt = campaign.scheduledAt && campaign.scheduledAt.getTime() > now.getTime() ? campaign.scheduledAt : now;
    const scheduledFor = nextAllowedSendTime(requestedAt, profile.timezone);
    const perMessage = Math.round(Number(campaign.costEstimateMicros) / Math.max(campaign.recipientCount, 1));
    const launched = await smsRepository.launch(tenantId, campaignId, now, scheduledFor, perMessage);
    if (!launched) throw new AppError('sms.errors.alreadySent', 409);
    return launched;
  }

  async progress(tenantId: string, campaignId: string): Promise<SmsCampaignProgress> {
    const campaign = await this.deps.smsRepository.campaign(tenantId, campaignId);
    if (!campaign) throw new NotFoundError();
    return { campaign, counts: await this.deps.smsRepository.progress(tenantId, campaignId) };
  }

  /** The content's launched campaign and its counts, if it has been sent. */
  async launchedFor(tenantId: string, contentId: string): Promise<SmsCampaignProgress | null> {
    const campaign = await this.deps.smsRepository.latestLaunched(tenantId, contentId);
    return campaign ? { campaign, counts: await this.deps.smsRepository.progress(tenantId, campaign.id) } : null;
  }
}

function positiveInt(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}
