import type { i18n } from 'i18next';
import { AppError, NotFoundError } from '../../shared/errors.js';
import { isLocale, type Locale } from '../../shared/i18n.js';
import { isUuid } from '../../shared/ids.js';
import type { Logger } from '../../shared/logger.js';
import type { Clock } from '../../shared/clock.js';
import type { ContentService } from '../studio/content-service.js';
import { BRIEF_MAX } from '../studio/content-service.js';
import { isChannel, type Channel } from '../studio/domain.js';
import type { ChangeDetail, KnexCompetitorRepository } from './db/knex-competitor-repository.js';
import { WatchFormats } from './view.js';
import { quoted } from '../../shared/quoted-text.js';

const E = 'watch.ui.errors';
/** Scraped text kept in a brief: enough to know what happened, never enough to crowd out the instructions. */
const QUOTE_MAX = 1_500;
const DIFF_LINES_MAX = 40;

export interface RespondInput {
  channel: string;
  /** Generate a first draft right away (a failure there leaves the content made, as a brief). */
  generate: boolean;
}

export interface RespondResult {
  contentId: string;
  /** false when the change had been answered already: the existing content is opened. */
  created: boolean;
  /** The generation's error code when the draft could not be written (the content exists). */
  generationError?: string;
}


/**
 * "Respond": from a change, one studio content that answers it (linked both ways), optionally drafted at once.
 * One content per change even if the button is pressed twice: the change is claimed before the content is made.
 */
export class RespondService {
  constructor(
    private readonly deps: {
      competitorRepository: KnexCompetitorRepository;
      contentService: ContentService;
      i18n: i18n;
      clock: Clock;
      logger: Logger;
    },
  ) {}

  async respond(tenantId: string, userId: string, changeId: string, input: RespondInput): Promise<RespondResult> {
    if (!isUuid(changeId)) throw new NotFoundError();
    const channel: Channel = isChannel(input.channel) ? input.channel : 'linkedin';
    const repo = this.deps.competitorRepository;
    const change = await repo.findChange(tenantId, userId, changeId);
    if (!change) throw new NotFoundError();

    const claim = await repo.claimResponse(tenantId, changeId, userId, this.deps.clock.now());
    if (!claim) throw new NotFoundError();
    if (claim.state === 'exists') return { contentId: claim.contentId, created: false };
    if (claim.state === 'busy') throw new AppError(`${E}.respondInProgress`, 409);

    let contentId: string;
    try {
      const locale = await repo.tenantLocale(tenantId);
      const brief = this.brief(change, isLocale(locale) ? locale : 'fr');
      const content = await this.deps.contentService.create(tenantId, userId, { channel, brief: brief.text, title: brief.title }, { kind: 'watch_change', refId: changeId });
      contentId = content.id;
      await repo.completeResponse(tenantId, changeId, contentId);
    } catch (err) {
      await repo.releaseResponse(tenantId, changeId, userId).catch(() => undefined);
      throw err;
    }

    if (!input.generate) return { contentId, created: true };
    try {
      await this.deps.contentService.generateNow(tenantId, contentId, userId);
      return { contentId, created: true };
    } catch (err) {
      if (!(err instanceof AppError)) this.deps.logger.error({ err, tenantId, contentId }, 'watch: draft of a response failed');
      return { contentId, created: true, generationError: err instanceof AppError ? err.code : 'common.errors.internal' };
    }
  }

  /**
   * The brief, in the tenant's language: what the competitor did, the values before and after, the watch's summary,
   * and the angle. Everything read on the competitor's site (titles, product names, summary, diff) is quoted data.
   */
  brief(change: ChangeDetail, locale: Locale): { title: string; text: string } {
    const t = this.deps.i18n.getFixedT(locale);
    const fmt = new WatchFormats(locale, 'UTC', t);
    const competitor = change.competitorName ?? change.sourceUrl;
    const kind = fmt.kindLabel(change.kind);
    const k = 'watch.ui.respond.brief';
    const lines: string[] = [t(`${k}.intro`, { competitor }), '', `${t(`${k}.what`)} ${kind}`];

    if (change.kind === 'price_change') {
      lines.push(`${t(`${k}.priceMove`)} ${fmt.price(change.oldPriceCents, change.currency)} → ${fmt.price(change.newPriceCents, change.currency)} (${fmt.percent(change.priceChangeBp)})`);
    } else if (change.oldValue || change.newValue) {
      lines.push(`${t(`${k}.valueMove`)} ${t(`${k}.seeQuoted`)}`);
    }
    lines.push(`${t(`${k}.source`)} ${change.url ?? change.sourceUrl}`);

    const scraped: string[] = [];
    const add = (label: string, value: string | null | undefined) => {
      if (value && value.trim()) scraped.push(`${label}\n${quoted(value, QUOTE_MAX)}`);
    };
    add(t(`${k}.quoted.title`), change.title ?? change.feedItem?.title);
    add(t(`${k}.quoted.product`), change.productName);
    if (change.kind !== 'price_change') {
      add(t(`${k}.quoted.before`), change.oldValue);
      add(t(`${k}.quoted.after`), change.newValue);
    }
    add(t(`${k}.quoted.excerpt`), change.feedItem?.summary);
    if (change.diffText) add(t(`${k}.quoted.diff`), change.diffText.split('\n').slice(0, DIFF_LINES_MAX).join('\n'));
    if (change.summaryStatus === 'ready') add(t(`${k}.quoted.summary`), change.summary);

    if (scraped.length) lines.push('', t(`${k}.dataNotice`), '', ...scraped);
    lines.push('', t(`${k}.angle`));

    let text = lines.join('\n');
    if (text.length > BRIEF_MAX) text = `${text.slice(0, BRIEF_MAX - 200).trimEnd()}…\n\n${t(`${k}.angle`)}`;
    const title = t(`${k}.title`, { competitor, kind }).slice(0, 300);
    return { title, text };
  }
}
