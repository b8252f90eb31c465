import type { i18n } from 'i18next';
import { DateTime } from 'luxon';
import type { KnexPerformanceRepository } from '../db/knex-performance-repository.js';
import type { KnexPipelineRepository } from '../db/knex-pipeline-repository.js';
import {
  engagementScore,
  evergreenSelection,
  evergreenWindow,
  measurableFrom,
  monthPeriod,
  topContents,
  withScore,
  SCORE_WEIGHTS,
} from '../month-performance.js';
import type { StepContext, StepHandler, StepOutcome } from '../ports.js';

/** Contents and channels quoted in the summary added to next month's session. */
const SUMMARY_CONTENTS = 3;
const SUMMARY_CHANNELS = 3;

interface ChannelLine {
  channel: string;
  publications: number;
  impressions: number;
  reactions: number;
  comments: number;
  shares: number;
  clicks: number;
  score: number;
  linkClicks: number;
}

interface TopLine {
  contentId: string;
  title: string;
  channel: string;
  score: number;
}

/**
 * Step "analytics": once the month is over (and the networks' figures have settled), what the month's contents did,
 * recorded as the step's output; contents worth publishing again proposed as evergreen candidates; and a summary
 * added to next month's session, so the client and the next run start from what worked. Idempotent: proposals and
 * the session item are written at most once, the figures are read again.
 */
export class AnalyticsStep implements StepHandler {
  readonly name = 'analytics' as const;

  constructor(
    private readonly deps: {
      performanceRepository: KnexPerformanceRepository;
      pipelineRepository: KnexPipelineRepository;
      i18n: i18n;
    },
  ) {}

  async execute(context: StepContext): Promise<StepOutcome> {
    const { tenantId, run } = context;
    const tenant = await this.deps.pipelineRepository.tenantProfile(tenantId);
    const until = measurableFrom(run.month, tenant.timezone);
    if (context.now() < until) return { status: 'waiting', until, output: { waitingFor: 'monthEnd', until: until.toISOString() } };
    await context.progress({ total: 1 });

    const repo = this.deps.performanceRepository;
    const figures = await repo.monthFigures(tenantId, { runId: run.id, editorialPlanId: run.editorialPlanId }, monthPeriod(run.month, tenant.timezone));
    const linkClicks = new Map(figures.linkClicks.map((c) => [c.channel, c.clicks]));
    const perChannel: ChannelLine[] = figures.perChannel
      .map((c) => ({ ...c, score: engagementScore(c), linkClicks: linkClicks.get(c.channel) ?? 0 }))
      .concat(
        figures.linkClicks
          .filter((c) => c.channel !== null && !figures.perChannel.some((p) => p.channel === c.channel))
          .map((c) => ({ channel: c.channel!, publications: 0, impressions: 0, reactions: 0, comments: 0, shares: 0, clicks: 0, score: 0, linkClicks: c.clicks })),
      )
      .sort((a, b) => b.score - a.score || b.linkClicks - a.linkClicks || a.channel.localeCompare(b.channel));
    const top = topContents(figures.measuredContents.map(withScore));

    const window = evergreenWindow(run.month, tenant.timezone);
    const { median, selected } = evergreenSelection((await repo.windowContents(tenantId, window)).map(withScore));
    await repo.proposeEvergreen(tenantId, selected, window, median);

    const clicks = figures.linkClicks.reduce((sum, c) => sum + c.clicks, 0);
    const item = this.sessionItem(tenant.locale, run.month, top, perChannel, clicks);
    const session = await repo.addAnalyticsItem(tenantId, { after: run.month, locale: tenant.locale, ...item });
    await context.progress({ done: 1 });

    return {
      status: 'succeeded',
      output: {
        month: run.month,
        contents: figures.contents,
        perChannel,
        top: top.map((c) => ({
          contentId: c.contentId,
          title: c.title,
          channel: c.channel,
          score: c.score,
          impressions: c.impressions,
          reactions: c.reactions,
          comments: c.comments,
          shares: c.shares,
          clicks: c.clicks,
        })),
        scoreWeights: SCORE_WEIGHTS,
        clicks,
        credits: figures.credits,
        approvals: figures.approvals,
        evergreenProposed: selected.length,
        evergreenWindow: { start: window.firstDay, end: window.lastDay, median },
        nextSessionId: session.sessionId,
      },
      outputRef: { type: 'monthly_session', id: session.sessionId },
    };
  }

  /** "What worked in <month>": a few plain sentences in the tenant's language. */
  private sessionItem(locale: string, month: string, top: TopLine[], channels: ChannelLine[], clicks: number): { title: string; detail: string } {
    const lng = locale.slice(0, 2);
    const t = (key: string, params: Record<string, unknown> = {}) => this.deps.i18n.t(key, { lng, ...params });
    const channelName = (channel: string) => t(`calendar.channels.${channel}`, { defaultValue: channel });
    const monthName = DateTime.fromISO(month, { zone: 'utc' }).setLocale(locale).toFormat('LLLL yyyy');
    const sentences: string[] = [];
    if (top.length > 0) {
      const list = top
        .slice(0, SUMMARY_CONTENTS)
        .map((c) => t('analytics.month.topContent', { title: c.title || t('analytics.month.untitled'), channel: channelName(c.channel), score: c.score }));
      sentences.push(t('analytics.month.topContents', { list: list.join(t('analytics.month.separator')) }));
      const engaging = channels.filter((c) => c.score > 0).slice(0, SUMMARY_CHANNELS);
      const channelList = engaging.map((c) => t('analytics.month.channelScore', { channel: channelName(c.channel), score: c.score }));
      sentences.push(t('analytics.month.topChannels', { list: channelList.join(t('analytics.month.separator')) }));
      sentences.push(t('analytics.month.scoreDefinition'));
    } else {
      sentences.push(t('analytics.month.noEngagement'));
    }
    sentences.push(t('analytics.month.linkClicks', { count: clicks }));
    return { title: t('analytics.month.itemTitle', { month: monthName }), detail: sentences.join(' ') };
  }
}
