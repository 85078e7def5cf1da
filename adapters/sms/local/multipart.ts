// The dev phone's multipart form (fields from, to, body, id and picture `files`), read with busboy
// under caps: files beyond `maxFiles`, or more than `maxFileBytes` in all, are a 413, never kept.
import busboy from 'busboy';
import type { Request } from 'express';
import { InvalidInputError } from '../../../src/core/errors.js';
import { PayloadTooLargeError } from './errors.js';

export interface MultipartForm {
  fields: Record<string, string>;
  files: Array<{ contentType: string; bytes: Buffer }>;
}

export function readMultipart(req: Request, limits: { maxFiles: number; maxFileBytes: number }): Promise<MultipartForm> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { files: limits.maxFiles, fileSize: limits.maxFileBytes, fields: 20, fieldSize: 100_000 } });
    } catch (err) {
      reject(new InvalidInputError(`body: ${(err as Error).message}`, 'body'));
      return;
    }
    const form: MultipartForm = { fields: {}, files: [] };
    let failure: Error | null = null;
    let total = 0;
    parser.on('field', (name, value) => {
      form.fields[name] = value;
    });
    parser.on('file', (name, stream, info) => {
      if (name !== 'files') {
        stream.resume();
        failure ??= new InvalidInputError(`${name}: pictures go in the "files" field`, name);
        return;
      }
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => {
        total += c.length;
        // Over the total: stop keeping bytes (the rest of the upload is read and dropped).
        if (total > limits.maxFileBytes) failure ??= new PayloadTooLargeError(`files: the pictures add up to more than ${limits.maxFileBytes} bytes`);
        if (!failure) chunks.push(c);
      });
      stream.on('limit', () => {
        failure ??= new PayloadTooLargeError(`files: a picture is larger than ${limits.maxFileBytes} bytes`);
      });
      stream.on('end', () => form.files.push({ contentType: info.mimeType.toLowerCase(), bytes: Buffer.concat(chunks) }));
    });
    parser.on('filesLimit', () => {
      failure ??= new PayloadTooLargeError(`files: at most ${limits.maxFiles} pictures`);
    });
    parser.on('error', (err: Error) => reject(new InvalidInputError(`body: ${err.message}`, 'body')));
    parser.on('close', () => (failure ? reject(failure) : resolve(form)));
    req.pipe(parser);
  });
}
