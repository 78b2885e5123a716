import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorReply } from './errors.js';
import type { RecordedHeaders, SimRecord } from './types.js';

/** Bearer token as given, or null when the header is missing, not Bearer, or empty. */
export function bearer(header: string | undefined): string | null {
  if (header === undefined || header.length < 8) return null;
  if (header.slice(0, 7).toLowerCase() !== 'bearer ') return null;
  const token = header.slice(7).trim();
  return token.length === 0 ? null : token;
}

export function pickHeaders(h: IncomingHttpHeaders): RecordedHeaders {
  const out: RecordedHeaders = {};
  const referer = h['http-referer'];
  const title = h['x-title'];
  const agent = h['user-agent'];
  if (typeof referer === 'string') out['http-referer'] = referer;
  if (typeof title === 'string') out['x-title'] = title;
  if (typeof agent === 'string') out['user-agent'] = agent;
  return out;
}

export function readBody(req: IncomingMessage, done: (raw: string) => void): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    done(chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8'));
  });
}

/** Parsed JSON, or undefined when the text is not JSON (null is a legitimate parse result). */
export function parseJson(raw: string): unknown {
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

/** A string body is sent verbatim so faults can simulate malformed upstream payloads. */
export function sendReply(rec: SimRecord | null, res: ServerResponse, reply: ErrorReply): void {
  const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  sendText(rec, res, reply.status, text, reply.headers);
}

export function sendText(
  rec: SimRecord | null,
  res: ServerResponse,
  status: number,
  text: string,
  extra?: Record<string, string>,
): void {
  if (rec !== null) rec.status = status;
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  };
  if (extra !== undefined) {
    for (const name of Object.keys(extra)) headers[name.toLowerCase()] = extra[name] as string;
  }
  res.writeHead(status, headers);
  res.end(text);
}

/** Runs `fn` after `ms`, unless the client has gone by then; the timer never outlives the socket. */
export function later(res: ServerResponse, ms: number, fn: () => void): void {
  if (ms <= 0) {
    fn();
    return;
  }
  const timer = setTimeout(() => {
    if (!res.destroyed) fn();
  }, ms);
  res.once('close', () => clearTimeout(timer));
}
