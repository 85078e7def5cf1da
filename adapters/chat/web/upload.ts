// The composer's multipart body: a `text` field and any number of `files`, read into memory with
// busboy within fixed caps. A file over the per-file cap is not kept: it is passed on with its
// size over the cap so the MMS rules refuse it with their reason (as a too-large chat file is).
import busboy from 'busboy';
import type { Request } from 'express';
import { MAX_TEXT_CHARS } from '../../../src/admin/inboxSchemas.js';
import { UnprocessableError } from '../../../src/http/errors.js';

export interface UploadedFile {
  name: string;
  contentType: string;
  size: number;
  /** Null when the file was over `maxFileBytes` (not kept). */
  bytes: Buffer | null;
}

export interface ComposerInput {
  text: string;
  files: UploadedFile[];
}

export function isMultipart(req: Request): boolean {
  return /^multipart\/form-data/i.test(req.get('content-type') ?? '');
}

export function readMultipart(req: Request, limits: { maxFileBytes: number; maxFiles: number }): Promise<ComposerInput> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, limits: { files: limits.maxFiles, fileSize: limits.maxFileBytes, fields: 10, fieldSize: MAX_TEXT_CHARS * 4 } });
    } catch (err) {
      reject(new UnprocessableError(`body: ${(err as Error).message}`, 'body'));
      return;
    }
    let text = '';
    const files: UploadedFile[] = [];
    const pending: Promise<void>[] = [];
    let tooMany = false;
    bb.on('field', (name, value) => {
      if (name === 'text') text = value;
    });
    bb.on('file', (name, stream, info) => {
      if (name !== 'files') {
        stream.resume();
        return;
      }
      pending.push(
        new Promise<void>((done) => {
          const chunks: Buffer[] = [];
          let size = 0;
          stream.on('data', (c: Buffer) => {
            size += c.length;
            chunks.push(c);
          });
          stream.on('end', () => {
            const over = (stream as unknown as { truncated?: boolean }).truncated === true;
            files.push({
              name: info.filename || 'file',
              contentType: (info.mimeType || 'application/octet-stream').split(';')[0]!.trim().toLowerCase(),
              size: over ? limits.maxFileBytes + 1 : size,
              bytes: over ? null : Buffer.concat(chunks),
            });
            done();
          });
        }),
      );
    });
    bb.on('filesLimit', () => {
      tooMany = true;
    });
    bb.on('error', (err: Error) => reject(new UnprocessableError(`body: ${err.message}`, 'body')));
    bb.on('close', () => {
      void Promise.all(pending).then(() => {
        if (tooMany) reject(new UnprocessableError(`files: at most ${limits.maxFiles} files`, 'files'));
        else resolve({ text, files });
      });
    });
    req.pipe(bb);
  });
}
