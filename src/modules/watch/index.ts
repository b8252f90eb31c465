import { aliasTo, asClass, type AwilixContainer } from 'awilix';
import { Router } from 'express';
import type { JobDefinition } from '../../shared/jobs.js';
import type { Logger } from '../../shared/logger.js';
import { AlertMailer } from './alert-mailer.js';
import { AlertService } from './alert-service.js';
import { ChangeDetector } from './change-detector.js';
import { ChangeSummarizer } from './change-summarizer.js';
import { KnexAlertRepository } from './db/knex-alert-repository.js';
import { KnexChangeRepository } from './db/knex-change-repository.js';
import type { ChangeSink } from './domain.js';
import { CompetitorService } from './competitor-service.js';
import { KnexCompetitorRepository } from './db/knex-competitor-repository.js';
import { RespondService } from './respond-service.js';
import { KnexWatchSourceRepository } from './db/knex-source-repository.js';
import { FeedDiscovery } from './feed-discovery.js';
import { FeedReader } from './feed-reader.js';
import { PageExtractor } from './page-extractor.js';
import { WatchPoller } from './poller.js';
import { watchPortalRoutes, type WatchRouteDeps } from './routes.js';

export type * from './domain.js';

/** Watch module: competitors' feeds and pages polled politely, changes classified, alerts, and answers in the studio. */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface WatchCradle {
  /** Competitors and sources (CRUD), the changes and alerts as the screens read them, the "Respond" claim. */
  competitorRepository: KnexCompetitorRepository;
  competitorService: CompetitorService;
  /** "Respond": a studio content answering a change. */
  respondService: RespondService;
  /** Change detection (the poller's `ChangeSink`), alerts, their e-mails and the AI summaries. */
  changeRepository: KnexChangeRepository;
  changeDetector: ChangeDetector;
  changeSink: ChangeSink;
  alertRepository: KnexAlertRepository;
  alertService: AlertService;
  alertMailer: AlertMailer;
  changeSummarizer: ChangeSummarizer;
  /** Polling: due sources, host leases, conditional GET, snapshots; feeds read, pages extracted, feeds discovered. */
  watchSourceRepository: KnexWatchSourceRepository;
  feedReader: FeedReader;
  feedDiscovery: FeedDiscovery;
  pageExtractor: PageExtractor;
  watchPoller: WatchPoller;
}

export function registerWatch(container: AwilixContainer): void {
  container.register({
    competitorRepository: asClass(KnexCompetitorRepository).singleton(),
    competitorService: asClass(CompetitorService).singleton(),
    respondService: asClass(RespondService).singleton(),
    changeRepository: asClass(KnexChangeRepository).singleton(),
    changeDetector: asClass(ChangeDetector).singleton(),
    changeSink: aliasTo('changeDetector'),
    alertRepository: asClass(KnexAlertRepository).singleton(),
    alertService: asClass(AlertService).singleton(),
    alertMailer: asClass(AlertMailer).singleton(),
    changeSummarizer: asClass(ChangeSummarizer).singleton(),
    watchSourceRepository: asClass(KnexWatchSourceRepository).singleton(),
    feedReader: asClass(FeedReader).singleton(),
    feedDiscovery: asClass(FeedDiscovery).singleton(),
    pageExtractor: asClass(PageExtractor).singleton(),
    watchPoller: asClass(WatchPoller).singleton(),
  });
}

export function watchRoutes(_cradle: unknown): Router {
  const router = Router();
  router.use(watchPortalRoutes(_cradle as WatchRouteDeps));
  return router;
}

export function watchJobs(_cradle: unknown): JobDefinition[] {
  const { alertMailer, changeSummarizer, logger } = _cradle as Pick<WatchCradle, 'alertMailer' | 'changeSummarizer'> & { logger: Logger };
  const { watchPoller } = _cradle as Pick<WatchCradle, 'watchPoller'>;
  return [
    {
      name: 'watch:poll-sources',
      every: '1 minute',
      run: async () => {
        const run = await watchPoller.pollDue();
        if (run.claimed) logger.info(run, 'watch sources polled');
        return run;
      },
    },
    {
      name: 'watch:send-alert-emails',
      every: '5 minutes',
      run: async () => {
        const run = await alertMailer.run();
        if (run.emails) logger.info(run, 'watch alert e-mails sent');
        return run;
      },
    },
    {
      name: 'watch:summarize-changes',
      every: '5 minutes',
      run: async () => {
        const run = await changeSummarizer.run();
        if (run.ready || run.failed) logger.info(run, 'watch changes summarised');
        return run;
      },
    },
  ];
}
