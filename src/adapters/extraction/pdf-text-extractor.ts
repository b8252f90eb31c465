import { Worker } from 'node:worker_threads';
import { ExtractionError } from './extraction-error.js';
import { capText, countAlphanumerics, joinHyphenatedLines, normaliseWhitespace } from './text.js';

export interface PdfExtractorOptions {
  /** Refuse documents with more pages than this (`tooManyPages`). Default 200. */
  maxPages?: number;
  /** Cap of the returned text; beyond it the text is cut and `truncated` is set. Default 200 000. */
  maxChars?: number;
  /** Refuse inputs larger than this (`tooLarge`). Default 50 MB. */
  maxBytes?: number;
  /** Wall-clock budget of one extraction, parsing included (`tooComplex` when it runs out). Default 30 s. */
  timeoutMs?: number;
  /** Heap cap of the parsing worker, in MB (`tooComplex` when it runs out). Default 512. */
  maxHeapMb?: number;
  /** Extractions running at once; more wait their turn (the wait does not count against `timeoutMs`). Default 2. */
  concurrency?: number;
}

export interface PdfExtraction {
  /** Normalised text, pages separated by a blank line. */
  text: string;
  /** Page count of the document. */
  pages: number;
  /** Document title from the metadata (Info dictionary, else XMP `dc:title`), when there is a non-empty one. */
  title?: string;
  /** Language from the catalogue (`/Lang`), when declared. */
  lang?: string;
  /** The text was cut at `maxChars` (or page reading stopped once enough text was gathered). */
  truncated: boolean;
  /** 1-based numbers of pages whose text could not be read (damaged page content); the others were. */
  failedPages: number[];
}

/** What the worker posts back. */
type WorkerReply =
  | {
      ok: true;
      numPages: number;
      pages: string[];
      failedPages: number[];
      stoppedEarly: boolean;
      title?: string;
      lang?: string;
    }
  | { ok: false; kind: 'password' | 'invalid' | 'tooManyPages' | 'other'; name?: string; message?: string; numPages?: number };

/**
 * The parsing runs in a worker thread: pdf.js works synchronously for long stretches (a 100 KB flate bomb keeps the
 * event loop busy for seconds), so only terminating a worker enforces the time budget, and `resourceLimits` caps its
 * heap. Plain JavaScript so the worker needs no TypeScript loader. `eval: true` runs it as a CommonJS script.
 */
const WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const { unpdfUrl, data, maxPages, maxRawChars } = workerData;

function errorKind(error) {
  const name = error && error.name;
  if (name === 'PasswordException') return 'password';
  if (name === 'InvalidPDFException' || name === 'MissingPDFException' || name === 'FormatError') return 'invalid';
  return 'other';
}

function cleanString(value) {
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

(async () => {
  const { getDocumentProxy } = await import(unpdfUrl);
  let pdf;
  try {
    pdf = await getDocumentProxy(data, {
      verbosity: 0,
      isEvalSupported: false,
      disableFontFace: true,
      useSystemFonts: false,
      stopAtErrors: false,
    });
  } catch (error) {
    parentPort.postMessage({ ok: false, kind: errorKind(error), name: error && error.name, message: error && error.message });
    return;
  }
  const numPages = pdf.numPages;
  if (numPages > maxPages) {
    parentPort.postMessage({ ok: false, kind: 'tooManyPages', numPages });
    return;
  }
  let title;
  let lang;
  try {
    const meta = await pdf.getMetadata();
    const info = (meta && meta.info) || {};
    title = cleanString(info.Title);
    lang = cleanString(info.Language);
    if (!title && meta && meta.metadata) {
      try { title = cleanString(meta.metadata.get('dc:title')); } catch {}
    }
  } catch {}
  const pages = [];
  const failedPages = [];
  let total = 0;
  let stoppedEarly = false;
  for (let number = 1; number <= numPages; number++) {
    if (total > maxRawChars) { stoppedEarly = true; break; }
    try {
      const page = await pdf.getPage(number);
      const content = await page.getTextContent();
      let text = '';
      for (const item of content.items) {
        if (item && typeof item.str === 'string') text += item.str + (item.hasEOL ? '\n' : '');
      }
      pages.push(text);
      total += text.length;
      page.cleanup();
    } catch (error) {
      if (errorKind(error) === 'password') throw error;
      failedPages.push(number);
      pages.push('');
    }
  }
  parentPort.postMessage({ ok: true, numPages, pages, failedPages, stoppedEarly, title, lang });
  await pdf.destroy().catch(() => {});
})().catch((error) => {
  parentPort.postMessage({ ok: false, kind: errorKind(error), name: error && error.name, message: error && error.message });
});
`;

const UNPDF_URL = import.meta.resolve('unpdf');

const DEFAULTS = {
  maxPages: 200,
  maxChars: 200_000,
  maxBytes: 50 * 1024 * 1024,
  timeoutMs: 30_000,
  maxHeapMb: 512,
  concurrency: 2,
} satisfies Required<PdfExtractorOptions>;

/** Letters or digits per page below which a document counts as image-only ("near-empty"). */
const MIN_ALNUM_PER_PAGE = 8;

/** Whether the bytes look like a PDF: `%PDF-` within the first KB (readers tolerate junk before the header). */
export function looksLikePdf(bytes: Uint8Array): boolean {
  if (bytes.length < 8) return false;
  return Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 1024)).indexOf('%PDF-', 0, 'latin1') >= 0;
}

/** Text of PDFs (brochures, price lists) with unpdf (pdf.js), isolated in a worker thread with time and heap budgets. */
export class PdfTextExtractor {
  private readonly options: Required<PdfExtractorOptions>;
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(options: PdfExtractorOptions = {}) {
    this.options = { ...DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };
  }

  /** @throws ExtractionError with reason notPdf, tooLarge, encrypted, corrupt, tooManyPages, tooComplex or noText. */
  async extract(buffer: Uint8Array): Promise<PdfExtraction> {
    const { maxBytes, maxChars, maxPages } = this.options;
    if (buffer.length > maxBytes) throw new ExtractionError('tooLarge', { maxBytes });
    if (!looksLikePdf(buffer)) throw new ExtractionError('notPdf');

    const reply = await this.withSlot(() => this.parse(buffer));
    if (!reply.ok) {
      switch (reply.kind) {
        case 'password':
          throw new ExtractionError('encrypted', {}, reply.message);
        case 'tooManyPages':
          throw new ExtractionError('tooManyPages', { pages: reply.numPages, maxPages });
        default:
          throw new ExtractionError('corrupt', {}, `${reply.name ?? 'Error'}: ${reply.message ?? ''}`);
      }
    }
    if (reply.failedPages.length === reply.pages.length && reply.pages.length > 0) {
      throw new ExtractionError('corrupt', {}, 'no page could be read');
    }

    const pageTexts = reply.pages.map((page) => normaliseWhitespace(joinHyphenatedLines(normaliseWhitespace(page))));
    const joined = pageTexts.filter(Boolean).join('\n\n');
    const readPages = reply.pages.length - reply.failedPages.length;
    if (!reply.stoppedEarly && countAlphanumerics(joined) < MIN_ALNUM_PER_PAGE * Math.max(1, readPages)) {
      throw new ExtractionError('noText', { pages: reply.numPages });
    }
    const capped = capText(joined, maxChars);
    return {
      text: capped.text,
      pages: reply.numPages,
      ...(reply.title ? { title: normaliseWhitespace(reply.title) } : {}),
      ...(reply.lang ? { lang: reply.lang } : {}),
      truncated: capped.truncated || reply.stoppedEarly,
      failedPages: reply.failedPages,
    };
  }

  private parse(buffer: Uint8Array): Promise<WorkerReply> {
    const { maxPages, maxChars, timeoutMs, maxHeapMb } = this.options;
    const data = new Uint8Array(buffer); // a copy, transferred to the worker
    return new Promise<WorkerReply>((resolve, reject) => {
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        execArgv: [],
        workerData: { unpdfUrl: UNPDF_URL, data, maxPages, maxRawChars: Math.ceil(maxChars * 1.5) },
        transferList: [data.buffer as ArrayBuffer],
        resourceLimits: { maxOldGenerationSizeMb: maxHeapMb, maxYoungGenerationSizeMb: 64 },
        stdout: true,
        stderr: true,
      });
      worker.stdout.resume();
      worker.stderr.resume();
      let settled = false;
      const finish = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        void worker.terminate();
        outcome();
      };
      const timer = setTimeout(
        () => finish(() => reject(new ExtractionError('tooComplex', { timeoutMs }, 'time budget exceeded'))),
        timeoutMs,
      );
      worker.once('message', (reply: WorkerReply) => finish(() => resolve(reply)));
      worker.once('error', (error: Error & { code?: string }) =>
        finish(() =>
          reject(
            error.code === 'ERR_WORKER_OUT_OF_MEMORY'
              ? new ExtractionError('tooComplex', { maxHeapMb }, 'heap budget exceeded')
              : new ExtractionError('corrupt', {}, error.message),
          ),
        ),
      );
      worker.once('exit', (code) => finish(() => reject(new ExtractionError('corrupt', {}, `parser exited (${code})`))));
    });
  }

  private async withSlot<T>(task: () => Promise<T>): Promise<T> {
    // A released slot passes straight to the next waiter, so `running` never exceeds `concurrency`.
    if (this.running >= this.options.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
