import type { Request } from 'express';
import busboy from 'busboy';
import { BadRequestError, HttpError, PayloadTooLargeError } from '@ork/shared';

export interface Upload {
  filename: string;
  purpose: string | undefined;
  content: string;
  lines: number;
}

export interface UploadLimits {
  /** BATCH_MAX_FILE_BYTES */
  maxBytes: number;
  /** BATCH_MAX_LINES */
  maxLines: number;
}

/**
 * Reads a multipart `POST /files` as a stream: the file part is counted (bytes and lines) as it
 * arrives and the upload is refused the moment it passes a limit, never buffered past it.
 */
export function readUpload(req: Request, limits: UploadLimits): Promise<Upload> {
  if (!req.is('multipart/form-data')) {
    return Promise.reject(new HttpError(415, 'invalid_request_error', 'Upload files as multipart/form-data with a `file` and a `purpose` field.', { code: 'unsupported_media_type' }));
  }
  return new Promise<Upload>((resolve, reject) => {
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      req.unpipe();
      req.resume();
      reject(err);
    };
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { fileSize: limits.maxBytes, files: 1, fields: 10, fieldSize: 64 * 1024 } });
    } catch {
      reject(new BadRequestError('The multipart body has no boundary.'));
      return;
    }
    let purpose: string | undefined;
    let file: { filename: string; chunks: Buffer[]; lines: number; last: number } | undefined;
    parser.on('field', (name, value) => {
      if (name === 'purpose') purpose = value;
    });
    parser.on('file', (name, stream, info) => {
      if (name !== 'file') {
        stream.resume();
        return;
      }
      const f = { filename: info.filename || 'upload.jsonl', chunks: [] as Buffer[], lines: 0, last: 10 };
      file = f;
      stream.on('data', (chunk: Buffer) => {
        for (const byte of chunk) if (byte === 10) f.lines++;
        f.last = chunk[chunk.length - 1] ?? f.last;
        if (f.lines > limits.maxLines) {
          fail(new BadRequestError(`The file has more than BATCH_MAX_LINES (${limits.maxLines}) lines.`, { code: 'too_many_lines', param: 'file' }));
          stream.resume();
          return;
        }
        f.chunks.push(chunk);
      });
      stream.on('limit', () => {
        fail(new PayloadTooLargeError(`The file is larger than BATCH_MAX_FILE_BYTES (${limits.maxBytes} bytes).`, { param: 'file', code: 'file_too_large' }));
      });
    });
    parser.on('error', () => fail(new BadRequestError('The multipart body could not be read.')));
    parser.on('close', () => {
      if (settled) return;
      if (!file) return fail(new BadRequestError('No `file` part in the upload.', { param: 'file', code: 'missing_required_parameter' }));
      settled = true;
      const content = Buffer.concat(file.chunks).toString('utf8');
      // A last line without its newline still counts.
      const lines = file.lines + (file.last !== 10 && content.length > 0 ? 1 : 0);
      resolve({ filename: file.filename, purpose, content, lines });
    });
    req.pipe(parser);
  });
}
