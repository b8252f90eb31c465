import type { BrandDna } from '../brand/domain.js';
import type { BrandSafetyFinding } from './domain.js';
import { splitSentences } from './seo/readability.js';
import { countPhrase, significantTerms, termKey, termKeys, type SeoLocale } from './seo/text.js';

/**
 * The brand-safety rules that run in code on every version: the DNA's banned words (whole words, any case or
 * accent, plural folded) and banned claims. A claim is matched when one sentence holds all of its significant
 * terms — "le meilleur pain de Nantes" catches "Notre pain, le meilleur de tout Nantes" — because a model rarely
 * repeats a claim word for word. The moderation task (an AI call) adds its own findings beside these.
 */
export function ruleFindings(text: string, dna: BrandDna | null, locale: SeoLocale): BrandSafetyFinding[] {
  if (!dna) return [];
  const findings: BrandSafetyFinding[] = [];
  const keys = termKeys(text);
  for (const word of dna.vocabulary?.banned ?? []) {
    const phrase = termKeys(word);
    const count = countPhrase(keys, phrase);
    if (count > 0) findings.push({ kind: 'banned_word', severity: 'medium', matchedText: word, detail: String(count) });
  }
  const sentences = splitSentences(text);
  for (const claim of dna.bannedClaims ?? []) {
    const required = [...new Set(significantTerms(claim, locale).map(termKey))];
    if (!required.length) continue;
    const sentence = sentences.find((s) => {
      const present = new Set(termKeys(s));
      return required.every((t) => present.has(t));
    });
    if (sentence) findings.push({ kind: 'claim', severity: 'high', matchedText: sentence.trim(), detail: claim });
  }
  return findings;
}

/** Findings of the moderation task: one per flagged category. */
export function moderationFindings(categories: Record<string, boolean>): BrandSafetyFinding[] {
  return Object.entries(categories)
    .filter(([, flagged]) => flagged)
    .map(([category]) => ({ kind: 'moderation' as const, severity: 'critical' as const, matchedText: category, detail: category }));
}
