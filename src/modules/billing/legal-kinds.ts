/** The legal documents the platform publishes, as `/legal/<kind>` pages (`legal_documents.kind`). */
export const LEGAL_KINDS = ['terms', 'dpa', 'privacy', 'legal_notice'] as const;
export type LegalKind = (typeof LEGAL_KINDS)[number];

export function isLegalKind(value: unknown): value is LegalKind {
  return typeof value === 'string' && (LEGAL_KINDS as readonly string[]).includes(value);
}

/** `/legal/legal-notice` reads better than an underscore in a URL. */
export function legalPath(kind: LegalKind): string {
  return `/legal/${kind.replace('_', '-')}`;
}

export function kindOfPath(segment: string): LegalKind | null {
  const kind = segment.replace('-', '_');
  return isLegalKind(kind) ? kind : null;
}
