/**
 * What the onboarding needs from the outside, as structural ports: the adapters (`PdfTextExtractor`,
 * `WebsiteReader`, the storage port, `DnaService`, the AI gateway) satisfy them as they are.
 */

export interface PdfExtractorPort {
  /** Throws `ExtractionError` (`reason`: encrypted, corrupt, noText, notPdf, tooManyPages, tooLarge, tooComplex). */
  extract(data: Buffer): Promise<{ text: string; pages: number; truncated: boolean }>;
}

export interface WebsiteReaderPort {
  /** Reads the home page and a few linked pages; throws the home page's `FetchRefusedError`. */
  read(url: string, options: { maxPages: number }): Promise<{ pages: { url: string; title?: string | null; text: string }[]; errors: unknown[] }>;
}

export interface TranscriberPort {
  transcribe(
    meta: { tenantId: string; userId?: string },
    audio: { data: Buffer; filename: string; mimeType: string; language?: string },
  ): Promise<{ text: string; durationSeconds: number; callId?: string }>;
}

export interface DnaInput {
  id: string;
  kind: string;
  label: string;
  text: string;
}

export interface DnaExtractorPort {
  extract(tenantId: string, request: { inputs: DnaInput[]; locale: string; userId?: string; onboardingSessionId?: string }): Promise<{ id: string; version: number }>;
}

/** Where uploaded originals are kept until (and after) their text is extracted: tenant-scoped keys. */
export interface OnboardingFileStore {
  put(tenantId: string, data: Buffer, meta: { kind: 'audio' | 'pdf'; filename: string; mimeType: string }): Promise<string>;
  get(tenantId: string, key: string): Promise<Buffer | null>;
  delete(tenantId: string, key: string): Promise<void>;
  /** Whether the originals survive a restart (a disk or S3 store) or only live in this process's memory. */
  readonly durable: boolean;
}
