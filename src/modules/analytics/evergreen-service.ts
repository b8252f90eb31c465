import type { i18n } from 'i18next';
import type { Clock } from '../../shared/clock.js';
import { AppError, NotFoundError } from '../../shared/errors.js';
import { isLocale } from '../../shared/i18n.js';
import { isUuid } from '../../shared/ids.js';
import type { Logger } from '../../shared/logger.js';
import type { ContentService } from '../studio/content-service.js';
import { BRIEF_MAX } from '../studio/content-service.js';
import { isChannel } from '../studio/domain.js';
import type { EvergreenCandidateView, KnexEvergreenRepository } from './db/knex-evergreen-repository.js';
import { quoted } from '../../shared/quoted-text.js';

const E = 'reputation.errors';

export interface RefreshResult {
  contentId: string;
  /** false when the candidate had been refreshed already: its content is opened. */
  created: boolean;
  /** The generation's error code when the new text could not be written (the content exists, as a brief). */
  generationError?: string;
}


/**
 * Evergreen recycling: contents that did better than the tenant's median and are not time-bound, proposed by the
 * pipeline. "Refresh" makes one new studio content on the same channel (origin evergreen, pointing at the original),
 * briefed with the original text, and writes it at once; "Dismiss" closes the proposal.
 */
export class EvergreenService {
  constructor(
    private readonly deps: { evergreenRepository: KnexEvergreenRepository; contentService: ContentService; i18n: i18n; clock: Clock; logger: Logger },
  ) {}

  list(tenantId: string): Promise<EvergreenCandidateView[]> {
    return this.deps.evergreenRepository.list(tenantId);
  }

  async refresh(tenantId: string, userId: string, candidateId: string): Promise<RefreshResult> {
    const candidate = await this.require(tenantId, candidateId);
    const repo = this.deps.evergreenRepository;
    const claim = await repo.claimRefresh(tenantId, candidate.id, userId, this.deps.clock.now());
    if (!claim) throw new NotFoundError();
    if (claim.state === 'exists') return { contentId: claim.contentId, created: false };
    if (claim.state === 'busy') throw new AppError(`${E}.refreshInProgress`, 409);
    if (claim.state === 'closed') throw new AppError(`${E}.candidateClosed`, 409);

    let contentId: string;
    try {
      if (!isChannel(candidate.channel)) throw new AppError('studio.errors.unknownChannel', 422);
      const locale = await this.deps.contentService.tenantDefaults(tenantId).then((d) => d.locale);
      const content = await this.deps.contentService.create(
        tenantId,
        userId,
        {
          channel: candidate.channel,
          title: (candidate.originalTitle || candidate.title).slice(0, 300) || undefined,
          brief: this.brief(candidate, isLocale(locale) ? locale : 'fr'),
        },
        { kind: 'evergreen', refId: candidate.id, sourceContentId: candidate.contentId },
      );
      contentId = content.id;
    } catch (err) {
      await repo.releaseRefresh(tenantId, candidate.id, userId).catch(() => undefined);
      throw err;
    }
    try {
      const done = await this.deps.contentService.generateNow(tenantId, contentId, userId);
      await repo.setRefreshedVersion(tenantId, candidate.id, done.version.id);
      return { contentId, created: true };
    } catch (err) {
      if (!(err instanceof AppError)) this.deps.logger.error({ err, tenantId, contentId }, 'evergreen: refresh generation failed');
      return { contentId, created: true, generationError: err instanceof AppError ? err.code : 'common.errors.internal' };
    }
  }

  async dismiss(tenantId: string, userId: string, candidateId: string): Promise<void> {
    const candidate = await this.require(tenantId, candidateId);
    if (!(await this.deps.evergreenRepository.dismiss(tenantId, candidate.id, userId, this.deps.clock.now()))) throw new AppError(`${E}.candidateClosed`, 409);
  }

  /** "Refresh of …": what worked, the original text as material, and what to change — in the tenant's language. */
  brief(candidate: EvergreenCandidateView, locale: 'fr' | 'en'): string {
    const t = this.deps.i18n.getFixedT(locale);
    const k = 'reputation.evergreen.brief';
    const head = [
      t(`${k}.intro`, { title: candidate.originalTitle || candidate.title || t(`${k}.untitled`) }),
      t(`${k}.performance`, { score: candidate.engagementScore, median: candidate.tenantMedianScore }),
      t(`${k}.angle`),
      '',
      t(`${k}.material`),
    ].join('\n');
    const room = BRIEF_MAX - head.length - 10;
    return `${head}\n${quoted([candidate.originalTitle, candidate.originalBody].filter(Boolean).join('\n\n'), Math.max(200, room - 200))}`.slice(0, BRIEF_MAX);
  }

  private async require(tenantId: string, id: string): Promise<EvergreenCandidateView> {
    const candidate = isUuid(id) ? await this.deps.evergreenRepository.find(tenantId, id) : null;
    if (!candidate) throw new NotFoundError();
    return candidate;
  }
}
