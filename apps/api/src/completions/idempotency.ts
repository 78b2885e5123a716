import { createHash } from 'node:crypto';
import type { RedisClient } from '@ork/shared';
import { BadRequestError, HttpError, RedisKeys, sleep } from '@ork/shared';

/** A response as the client first received it, kept to answer retries identically. */
export interface StoredResponse {
  status: number;
  contentType: string;
  body: string;
}

interface Entry {
  state: 'pending' | 'done';
  fingerprint: string;
  response?: StoredResponse;
}

const TTL_MS = 24 * 3_600_000;
const KEY_FORMAT = /^[\x21-\x7e]{1,255}$/;
const POLL_MS = 100;

/** The client of a waiting retry went away: nothing to answer. */
export class ClientLeftError extends Error {
  override readonly name = 'ClientLeftError';
}

export type Claim = { kind: 'claimed'; key: string } | { kind: 'replay'; response: StoredResponse };

/**
 * `Idempotency-Key`: the first request with a key runs; a retry with the same key and body gets
 * the stored answer (waiting for it if the first is still running) without a second upstream
 * call. Kept 24 h, scoped to the client key, in Redis so every API process sees it.
 */
export class IdempotencyStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  /** `signal`: the client left; a retry waiting for the first attempt stops polling then. */
  async claim(idempotencyKey: string, scope: string, body: unknown, deadline: number, signal?: AbortSignal): Promise<Claim> {
    if (!KEY_FORMAT.test(idempotencyKey)) {
      throw new BadRequestError('Idempotency-Key must be 1–255 visible ASCII characters.', { param: 'Idempotency-Key' });
    }
    const key = new RedisKeys(this.prefix).idempotency(createHash('sha256').update(`${scope}\n${idempotencyKey}`).digest('hex'));
    const fingerprint = createHash('sha256').update(JSON.stringify(body)).digest('hex');
    const pending: Entry = { state: 'pending', fingerprint };
    for (;;) {
      if ((await this.redis.set(key, JSON.stringify(pending), 'PX', TTL_MS, 'NX')) === 'OK') return { kind: 'claimed', key };
      const raw = await this.redis.get(key);
      if (raw === null) continue;
      const entry = JSON.parse(raw) as Entry;
      if (entry.fingerprint !== fingerprint) {
        throw new HttpError(422, 'invalid_request_error', 'This Idempotency-Key was used with a different request body.', {
          code: 'idempotency_key_reused',
          param: 'Idempotency-Key',
        });
      }
      if (entry.state === 'done' && entry.response) return { kind: 'replay', response: entry.response };
      if (Date.now() > deadline) {
        throw new HttpError(409, 'invalid_request_error', 'A request with this Idempotency-Key is still in progress.', {
          code: 'idempotency_key_in_use',
        });
      }
      if (signal?.aborted) throw new ClientLeftError('the client left while waiting for the first attempt');
      try {
        await sleep(POLL_MS, signal);
      } catch {
        throw new ClientLeftError('the client left while waiting for the first attempt');
      }
    }
  }

  async complete(key: string, body: unknown, response: StoredResponse): Promise<void> {
    const fingerprint = createHash('sha256').update(JSON.stringify(body)).digest('hex');
    const entry: Entry = { state: 'done', fingerprint, response };
    await this.redis.set(key, JSON.stringify(entry), 'PX', TTL_MS);
  }

  /** The first attempt produced no answer worth keeping (refused, timed out): let a retry run. */
  async release(key: string): Promise<void> {
    await this.redis.del(key);
  }
}
