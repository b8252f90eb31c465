import { AppError } from '../../shared/errors.js';

/**
 * Why a document's text could not be extracted. Each reason is the i18n key `extraction.errors.<reason>`:
 * - `notPdf`: the bytes are not a PDF (no `%PDF-` header near the start; empty file, executable renamed .pdf, …);
 * - `encrypted`: password-protected (a PDF that opens with an empty user password is read normally);
 * - `corrupt`: the file is damaged beyond what the parser recovers;
 * - `noText`: no extractable text (a scanned, image-only document: OCR would be needed);
 * - `tooManyPages`: more pages than the cap;
 * - `tooLarge`: more bytes than the cap;
 * - `tooComplex`: the time or memory budget ran out (e.g. a decompression bomb).
 */
export type ExtractionFailure = 'notPdf' | 'encrypted' | 'corrupt' | 'noText' | 'tooManyPages' | 'tooLarge' | 'tooComplex';

/** A clear, user-facing extraction failure; `reason` drives the message and whether a retry makes sense (it never does). */
export class ExtractionError extends AppError {
  constructor(
    readonly reason: ExtractionFailure,
    params: Record<string, unknown> = {},
    readonly detail?: string,
  ) {
    super(`extraction.errors.${reason}`, 422, params);
    this.name = 'ExtractionError';
  }
}
