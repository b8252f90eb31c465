import type { Request, Response } from 'express';
import multer from 'multer';

/**
 * Receives one multipart file field named `file` in memory (with a few small fields beside it), refusing a file
 * larger than `maxBytes` with `errors.tooLarge()` and any other malformed upload with `errors.bad()`.
 */
export function singleFileReceiver(maxBytes: number, errors: { tooLarge: () => Error; bad: () => Error }) {
  const upload = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: maxBytes, files: 1, fields: 10, fieldSize: 10_000, parts: 12 },
    defParamCharset: 'utf8',
  }).single('file');
  return (req: Request, res: Response): Promise<void> =>
    new Promise((resolve, reject) => {
      upload(req, res, (err: unknown) => {
        if (!err) return resolve();
        if (err instanceof multer.MulterError) return reject(err.code === 'LIMIT_FILE_SIZE' ? errors.tooLarge() : errors.bad());
        reject(err);
      });
    });
}
