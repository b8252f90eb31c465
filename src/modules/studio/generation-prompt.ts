import { channelRules, type Channel } from './channels.js';
import type { Content } from './domain.js';

/**
 * What a generation asks for, beyond the prompt cascade (platform rules, the channel's guidance, the tenant's
 * layers) and the brand DNA, which the gateway puts in the cached system prompt. Instructions are in English
 * (models follow them best); the text is written in the content's language.
 */

const LANGUAGE: Record<string, string> = { fr: 'French', en: 'English' };

const MAX_TOKENS: Record<Channel, number> = {
  blog: 3_000,
  newsletter: 2_000,
  linkedin: 900,
  facebook: 600,
  instagram: 700,
  google_business: 500,
  x: 300,
  sms: 200,
};

export function maxTokensFor(channel: Channel): number {
  return MAX_TOKENS[channel];
}

/** The call-specific instructions: format and hard limits of the channel, tone override, language. */
export function generationInstructions(content: Pick<Content, 'channel' | 'locale' | 'toneOverride'>): string {
  const rules = channelRules(content.channel);
  const lines = [`Write one ${content.channel} content in ${LANGUAGE[content.locale] ?? 'French'}. Answer with the content only: no preamble, no comment.`];
  if (rules.maxLength !== null && rules.unit === 'chars') lines.push(`Hard limit: ${rules.maxLength} characters${rules.recommendedMaxLength ? `; aim under ${rules.recommendedMaxLength}` : ''}.`);
  if (rules.foldAt) lines.push(`The first ${rules.foldAt} characters show before "see more": put the hook there.`);
  if (rules.hashtags) lines.push(`Hashtags: ${rules.hashtags.recommendedMin} to ${rules.hashtags.recommendedMax}, at the end.`);
  else lines.push('No hashtags.');
  if (!rules.links.clickable) lines.push('Links are not clickable on this channel: do not put URLs in the text.');
  if (content.channel === 'blog') {
    lines.push(
      'Markdown. First line: "# " and the article title (30 to 60 characters, main keyword first).',
      'Then a short paragraph that answers the reader\'s question directly, then "## " sections, figures with their source, and a final "## FAQ" section with 3 questions as "### " headings, each followed by its answer.',
    );
  } else if (content.channel === 'newsletter') {
    lines.push('Markdown. First line: "# " and the email subject (under 60 characters). Then the email body with short sections and one call to action.');
  } else if (content.channel === 'sms') {
    lines.push('Plain text, GSM-7 characters only (no emoji, no curly quotes), at most 160 characters. Name the business. The opt-out mention (STOP) is added when sending.');
  } else {
    lines.push('Plain text with line breaks; no Markdown headings.');
  }
  if (content.toneOverride) lines.push(`Tone for this content (overrides the brand's usual tone): ${content.toneOverride}`);
  return lines.join('\n');
}

export interface GenerationTemplate {
  id: string | null;
  body: string;
}

/** Used only if the platform's `studio.generate_content` / `studio.regenerate_content` templates are missing. */
export const FALLBACK_TEMPLATES: Record<'generate' | 'regenerate', GenerationTemplate> = {
  generate: {
    id: null,
    body: 'Brand DNA:\n{{brand_dna}}\n\nChannel: {{channel}}\nFormat and limits: {{channel_format}}\nTone: {{tone}}\nCampaign: {{campaign}}\nKeywords to favour: {{keywords}}\nAttached visuals: {{media}}\n\nClient\'s brief:\n{{brief}}\n\nWrite the final content, ready to publish.',
  },
  regenerate: {
    id: null,
    body: 'Brand DNA:\n{{brand_dna}}\n\nChannel: {{channel}}\nFormat and limits: {{channel_format}}\nTone: {{tone}}\n\nOriginal brief:\n{{brief}}\n\nPrevious version:\n{{previous_version}}\n\nReviewer\'s feedback:\n{{feedback}}\n\nWrite a new version that takes the feedback into account.',
  },
};

export interface PromptValues {
  content: Pick<Content, 'brief' | 'title' | 'channel' | 'locale' | 'toneOverride'>;
  /** The DNA's usual tone (overridden by the content's tone when it has one). */
  brandTone: string | null;
  keywords: string[];
  campaignName: string | null;
  media: string[];
  /** Regeneration: the text being replaced and the latest reviewer comment. */
  previousVersion?: string;
  feedback?: string | null;
}

/** Fills `{{name}}` placeholders in one pass (a value containing `{{…}}` is never expanded again). */
function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (_m, key: string) => values[key] ?? '');
}

/**
 * The user message, from the template the tenant sees (its own, its distributor's or the platform's). The DNA
 * itself is already in the cached system prompt (`<brand_dna>`), so the template's `{{brand_dna}}` points there.
 */
export function generationPrompt(template: GenerationTemplate, values: PromptValues): string {
  const fr = values.content.locale !== 'en';
  const none = fr ? '(aucun)' : '(none)';
  const brief = values.content.title ? `${values.content.brief}\n\n${fr ? 'Titre de travail' : 'Working title'} : ${values.content.title}` : values.content.brief;
  return fill(template.body, {
    brand_dna: fr ? '(voir le bloc <brand_dna> des instructions)' : '(see the <brand_dna> block in the instructions)',
    channel: values.content.channel,
    channel_guidance: fr ? '(voir les instructions du canal)' : '(see the channel instructions)',
    channel_format: generationInstructions(values.content),
    tone: values.content.toneOverride ?? values.brandTone ?? none,
    campaign: values.campaignName ?? none,
    keywords: values.keywords.length ? values.keywords.join(', ') : none,
    links: none,
    media: values.media.length ? values.media.map((m) => `- ${m}`).join('\n') : none,
    brief,
    previous_version: values.previousVersion ?? none,
    feedback: values.feedback ?? none,
  }).trim();
}

/**
 * Splits a generated text into title and body: for articles and newsletters the leading `# ` line is the title
 * (or subject); elsewhere the title stays the one the client gave.
 */
export function splitGeneratedText(channel: Channel, text: string, currentTitle: string): { title: string; body: string } {
  const trimmed = text.trim();
  if (channel === 'blog' || channel === 'newsletter') {
    const match = /^#\s+(.+)\n+/.exec(trimmed);
    if (match) return { title: match[1].trim().slice(0, 300), body: trimmed.slice(match[0].length).trim() };
  }
  return { title: currentTitle, body: trimmed };
}
