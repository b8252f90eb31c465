/** SEO/GEO analysis for the studio: pure, deterministic code (no I/O, no model call). */
export {
  analyzeSeo,
  channelProfile,
  slugify,
  WEIGHTS,
  TITLE_RANGE,
  META_RANGE,
  SLUG_RANGE,
  DENSITY_RANGE,
  type SeoInput,
  type SeoAnalysis,
  type BreakdownItem,
  type CheckKey,
  type ChannelProfile,
  type Fix,
  type LengthSuggestion,
  type OwnPage,
  type SkippedCheck,
} from './analyzer.js';
export {
  analyzeReadability,
  countSyllables,
  countText,
  fleschReadingEase,
  kandelMoles,
  readingLevel,
  splitSentences,
  splitWords,
  type ReadabilityResult,
  type ReadingLevel,
} from './readability.js';
export {
  articleJsonLd,
  faqPageJsonLd,
  localBusinessJsonLd,
  serializeJsonLd,
  jsonLdScript,
  type BusinessInfo,
  type FaqPair,
  type JsonLd,
} from './json-ld.js';
export { SEO_MESSAGES } from './messages.js';
