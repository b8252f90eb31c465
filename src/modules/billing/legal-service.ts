import type { Clock } from '../../shared/clock.js';
import { NotFoundError } from '../../shared/errors.js';
import { DEFAULT_LOCALE } from '../../shared/i18n.js';
import { isUuid } from '../../shared/ids.js';
import type { KnexLegalRepository, LegalDocument } from './db/knex-legal-repository.js';
import type { LegalKind } from './legal-kinds.js';

/**
 * Terms, DPA, privacy policy and legal notice: the current published version per locale (the default locale when
 * a text is missing in the reader's), and the tenant's acceptance of each new version of a text that requires one.
 */
export class LegalService {
  constructor(private readonly deps: { legalRepository: KnexLegalRepository; clock: Clock }) {}

  async document(kind: LegalKind, locale: string): Promise<LegalDocument> {
    const now = this.deps.clock.now();
    const doc = (await this.deps.legalRepository.current(kind, locale, now)) ?? (await this.deps.legalRepository.current(kind, DEFAULT_LOCALE, now));
    if (!doc) throw new NotFoundError();
    return doc;
  }

  async documents(locale: string): Promise<LegalDocument[]> {
    const now = this.deps.clock.now();
    const own = await this.deps.legalRepository.currentAll(locale, now);
    if (locale === DEFAULT_LOCALE) return own;
    const fallback = await this.deps.legalRepository.currentAll(DEFAULT_LOCALE, now);
    return [...own, ...fallback.filter((f) => !own.some((d) => d.kind === f.kind))];
  }

  /** Current versions requiring acceptance that the tenant has not accepted yet. */
  async pendingAcceptances(tenantId: string, locale: string): Promise<LegalDocument[]> {
    const required = (await this.documents(locale)).filter((d) => d.requiresAcceptance);
    const accepted = new Set(await this.deps.legalRepository.accepted(tenantId, required.map((d) => d.id)));
    return required.filter((d) => !accepted.has(d.id));
  }

  /** Only a published version that requires acceptance can be accepted; anything else is not found. */
  async accept(tenantId: string, documentId: unknown, who: { userId: string; ip: string | null; userAgent: string | null }): Promise<LegalDocument> {
    if (!isUuid(documentId)) throw new NotFoundError();
    const doc = await this.deps.legalRepository.find(documentId);
    if (!doc || !doc.requiresAcceptance) throw new NotFoundError();
    await this.deps.legalRepository.accept(tenantId, { documentId, ...who, at: this.deps.clock.now() });
    return doc;
  }
}
