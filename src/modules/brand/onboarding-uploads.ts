import type { Request, RequestHandler } from 'express';
import multer, { type StorageEngine } from 'multer';
import { AppError } from '../../shared/errors.js';
import type { UploadedFile } from './onboarding-service.js';

/**
 * Above this the request itself is cut (413): nothing legitimate is that large, and reading it would only waste
 * bandwidth. Between a kind's own cap and this, the file is drained and reported "too large" on its own line,
 * so the other files of the same upload go on.
 */
const HARD_LIMIT_BYTES = 64 * 1024 * 1024;

/** Keeps a file in memory up to `maxBytes`; beyond, drains the rest and flags it, without failing the request. */
function cappedMemoryStorage(maxBytes: number): StorageEngine {
  return {
    _handleFile(_req, file, cb) {
      const chunks: Buffer[] = [];
      let size = 0;
      let tooLarge = false;
      file.stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (tooLarge) return;
        if (size > maxBytes) {
          tooLarge = true;
          chunks.length = 0;
          return;
        }
        chunks.push(chunk);
      });
      file.stream.on('error', (err) => cb(err));
      file.stream.on('end', () => {
        const info = { buffer: tooLarge ? Buffer.alloc(0) : Buffer.concat(chunks), size, tooLarge };
        cb(null, info as Partial<Express.Multer.File>);
      });
    },
    _removeFile(_req, file, cb) {
      (file as { buffer?: Buffer }).buffer = undefined;
      cb(null);
    },
  };
}

function uploader(maxBytes: number, maxFiles: number) {
  return multer({
    storage: cappedMemoryStorage(maxBytes),
    defParamCharset: 'utf8',
    limits: { fileSize: HARD_LIMIT_BYTES, files: maxFiles, fields: 20, fieldSize: 64 * 1024, parts: maxFiles + 20 },
  });
}

/** A multer error as a user-facing one (the page re-renders with it; what was entered before is untouched). */
function asAppError(err: unknown, maxBytes: number): unknown {
  if (err instanceof multer.MulterError) {
    if (err.code === 'LIMIT_FILE_SIZE') return new AppError('brand.onboarding.errors.uploadTooLarge', 413, { maxMb: Math.round(maxBytes / (1024 * 1024)) });
    if (err.code === 'LIMIT_FILE_COUNT' || err.code === 'LIMIT_PART_COUNT') return new AppError('brand.onboarding.errors.tooManyFiles', 413);
    return new AppError('brand.onboarding.errors.uploadFailed', 400);
  }
  return err;
}

/**
 * Parses a multipart upload into `req.uploads` (possibly empty). Errors are handed to the route as
 * `req.uploadError` so it can answer with the step's page rather than a bare error.
 */
export function acceptUploads(field: string, maxBytes: number, maxFiles: number): RequestHandler {
  const parse = uploader(maxBytes, maxFiles).array(field, maxFiles);
  return (req, res, next) => {
    parse(req, res, (err?: unknown) => {
      if (err) {
        (req as UploadRequest).uploadError = asAppError(err, maxBytes);
        return next();
      }
      const files = (req.files as (Express.Multer.File & { tooLarge?: boolean })[] | undefined) ?? [];
      (req as UploadRequest).uploads = files.map((f) => ({ originalname: f.originalname, buffer: f.buffer, size: f.size, tooLarge: Boolean(f.tooLarge) }));
      next();
    });
  };
}

export interface UploadRequest extends Request {
  uploads?: UploadedFile[];
  uploadError?: unknown;
}
