import { asClass, asFunction, type AwilixContainer, type Resolver } from 'awilix';
import { WebsiteReader } from '../../adapters/extraction/website-reader.js';
import { SafeFetcher } from '../../adapters/fetch/safe-fetcher.js';
import type { Logger } from '../../shared/logger.js';
import type { UrlFetcher } from '../../shared/url-fetcher.js';
import { KnexOnboardingRepository } from './db/knex-onboarding-repository.js';
import type { ObjectStorage } from './media-ports.js';
import { ObjectStorageOnboardingFileStore } from './onboarding-files.js';
import { onboardingJobs } from './onboarding-jobs.js';
import type { OnboardingFileStore, PdfExtractorPort, WebsiteReaderPort } from './onboarding-ports.js';
import { OnboardingProcessor } from './onboarding-processor.js';
import { onboardingRoutes } from './onboarding-routes.js';
import { OnboardingService } from './onboarding-service.js';

export { onboardingJobs, onboardingRoutes };

export interface OnboardingCradle {
  onboardingRepository: KnexOnboardingRepository;
  onboardingFileStore: OnboardingFileStore;
  onboardingProcessor: OnboardingProcessor;
  onboardingService: OnboardingService;
  pdfTextExtractor: PdfExtractorPort;
  websiteReader: WebsiteReaderPort;
  urlFetcher: UrlFetcher;
}

/**
 * The PDF extractor, loaded on first use: its module resolves the unpdf worker with `import.meta.resolve`, which
 * the CommonJS path of the test runner (mocha's `require(esm)` through tsx) cannot evaluate — a static import
 * here would break every spec that loads the container.
 */
class LazyPdfTextExtractor implements PdfExtractorPort {
  private inner?: Promise<PdfExtractorPort>;

  extract(data: Buffer): ReturnType<PdfExtractorPort['extract']> {
    this.inner ??= import('../../adapters/extraction/pdf-text-extractor.js').then((m) => new m.PdfTextExtractor());
    return this.inner.then((extractor) => extractor.extract(data));
  }
}

/**
 * Registers the guided onboarding. Needs from the rest of the container: `database`, `config`, `i18n`, `clock`,
 * `logger`, `aiGateway`, `dnaService` (brand DNA) and `mediaStorage` (media library). The shared
 * adapters it uses (`urlFetcher`, `pdfTextExtractor`, `websiteReader`) are registered here only
 * when nothing registered them before, so the composition root may provide its own.
 */
export function registerOnboarding(container: AwilixContainer): void {
  const ifMissing = (name: string, resolver: Resolver<unknown>) => {
    if (!container.hasRegistration(name)) container.register(name, resolver);
  };
  ifMissing('urlFetcher', asFunction(({ logger }: { logger: Logger }) => new SafeFetcher({ logger })).singleton());
  ifMissing('pdfTextExtractor', asFunction(() => new LazyPdfTextExtractor()).singleton());
  ifMissing('websiteReader', asFunction(({ urlFetcher }: { urlFetcher: UrlFetcher }) => new WebsiteReader(urlFetcher)).singleton());
  container.register({
    onboardingRepository: asClass(KnexOnboardingRepository).singleton(),
    onboardingFileStore: asFunction(({ mediaStorage }: { mediaStorage: ObjectStorage }) => new ObjectStorageOnboardingFileStore(mediaStorage)).singleton(),
    // disposing the container (shutdown, tests) lets the work in progress finish first
    onboardingProcessor: asClass(OnboardingProcessor)
      .singleton()
      .disposer((processor) => processor.idle()),
    onboardingService: asClass(OnboardingService).singleton(),
  });
}
