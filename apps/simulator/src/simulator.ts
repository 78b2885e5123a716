import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { EMBEDDING_MODELS_JSON, keyInfo, modelEndpoints, MODELS_JSON } from './catalog.js';
import { GenerationStore } from './generations.js';
import { completionBody, isErrorReply, planCompletion, type CompletionKind } from './completions.js';
import { accountOf, applyPatch, creatorUserId, defaultConfig, isFreeRequest, isValidKey, type SimConfig } from './config.js';
import { CONTROL_PREFIX, handleControl } from './control-routes.js';
import { errorReply, insufficientCredits, noCredentials, rateLimited, userNotFound, type ErrorReply } from './errors.js';
import { FaultQueue, forcedByHeader, parseMs } from './faults.js';
import { bearer, later, parseJson, pickHeaders, readBody, sendReply, sendText } from './http-util.js';
import { RateLimiter } from './rate-limiter.js';
import { RecordStore } from './records.js';
import { writeStream } from './sse.js';
import type { SimRecord, Simulator, SimulatorConfigPatch, SimulatorOptions } from './types.js';

const BASE = '/api/v1';
const KINDS: Record<string, CompletionKind> = {
  [`${BASE}/chat/completions`]: 'chat',
  [`${BASE}/completions`]: 'text',
  [`${BASE}/responses`]: 'responses',
  [`${BASE}/embeddings`]: 'embeddings',
};
const ENDPOINTS_PATH = new RegExp(`^${BASE}/models/([^/]+/[^/]+)/endpoints$`);
const KEY_PATHS = new Set([`${BASE}/key`, `${BASE}/auth/key`]);
/** Sent by the gateway's workers under TEST_HOOKS (apps/worker/src/upstream/upstream-client.ts). */
const DEPARTED_AT_HEADER = 'x-ork-departed-at';

function departedAt(header: string | string[] | undefined, offset: number): number | null {
  const ms = typeof header === 'string' ? Number(header) : NaN;
  return Number.isFinite(ms) && ms > 0 ? ms + offset : null;
}

/** Request handling state; the HTTP server is wired to it in startSimulator. */
class SimulatorCore {
  readonly store = new RecordStore();
  readonly limiter = new RateLimiter();
  readonly faults = new FaultQueue();
  readonly generations = new GenerationStore();
  readonly cfg: SimConfig = defaultConfig();

  readonly onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    // Arrival time first: spacing assertions compare these to sub-millisecond precision.
    const offset = this.cfg.clockOffsetMs;
    const hrMs = performance.timeOrigin + performance.now() + offset;
    const receivedAtMs = Date.now() + offset;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (path.startsWith(CONTROL_PREFIX)) {
      handleControl(this, req, res, path, q < 0 ? '' : url.slice(q + 1));
      return;
    }

    const key = bearer(req.headers.authorization);
    const rec: SimRecord = {
      seq: this.store.nextSequence(),
      key,
      account: key !== null && isValidKey(this.cfg, key) ? accountOf(this.cfg, key) : null,
      method: req.method ?? 'GET',
      path,
      receivedAtMs,
      hrMs,
      departedAtMs: departedAt(req.headers[DEPARTED_AT_HEADER], offset),
      status: 0,
      body: null,
      headers: pickHeaders(req.headers),
      stream: false,
      aborted: false,
      limited: false,
      limitKind: null,
      free: false,
    };
    this.store.push(rec);
    res.once('close', () => {
      if (!res.writableFinished) rec.aborted = true;
    });

    const kind = KINDS[path];
    if (kind !== undefined) {
      if (rec.method !== 'POST') sendReply(rec, res, errorReply(405, 'Method Not Allowed'));
      else readBody(req, (raw) => this.completion(kind, rec, req, res, raw));
    } else if (path === `${BASE}/models` && rec.method === 'GET') {
      sendText(rec, res, 200, MODELS_JSON);
    } else if (path === `${BASE}/embeddings/models` && rec.method === 'GET') {
      sendText(rec, res, 200, EMBEDDING_MODELS_JSON);
    } else if (ENDPOINTS_PATH.test(path) && rec.method === 'GET') {
      const id = decodeURIComponent(ENDPOINTS_PATH.exec(path)?.[1] ?? '');
      const found = modelEndpoints(id);
      if (found === undefined) sendReply(rec, res, errorReply(404, `No endpoints found for ${id}.`));
      else sendText(rec, res, 200, JSON.stringify(found));
    } else if (path === `${BASE}/generation` && rec.method === 'GET') {
      this.generation(rec, res, new URLSearchParams(q < 0 ? '' : url.slice(q + 1)).get('id'));
    } else if (KEY_PATHS.has(path) && rec.method === 'GET') {
      const denied = this.authError(rec);
      if (denied !== undefined) sendReply(rec, res, denied);
      else if (this.cfg.keyInfoDown.has(key as string)) sendReply(rec, res, errorReply(500, 'Internal Server Error'));
      else sendText(rec, res, 200, JSON.stringify(this.keyInfo(key as string, rec.account as string, receivedAtMs)));
    } else {
      sendReply(rec, res, errorReply(404, 'Not Found'));
    }
  };

  /** Like OpenRouter: only the key that made a generation may look it up; to any other it does not exist. */
  private generation(rec: SimRecord, res: ServerResponse, id: string | null): void {
    const denied = this.authError(rec);
    if (denied !== undefined) return sendReply(rec, res, denied);
    const found = id === null ? undefined : this.generations.lookup(id, rec.key as string);
    if (found === undefined) sendReply(rec, res, errorReply(404, `Generation ${id ?? ''} not found`));
    else sendText(rec, res, 200, JSON.stringify(found));
  }

  private keyInfo(key: string, account: string, nowMs: number): unknown {
    const perDay = this.cfg.perDay;
    return keyInfo(key, {
      noCredits: this.cfg.noCreditKeys.has(key),
      creatorUserId: creatorUserId(this.cfg, key),
      freeDaily: Number.isFinite(perDay) ? { used: this.limiter.usedToday(account, nowMs), limit: perDay } : undefined,
    });
  }

  private authError(rec: SimRecord): ErrorReply | undefined {
    if (rec.key === null) return noCredentials();
    if (rec.account === null) return userNotFound();
    return undefined;
  }

  /**
   * Order mirrors OpenRouter: forced faults, auth, body validation, credits, then quota.
   * Only requests that get past all of these consume rate-limit quota.
   */
  private completion(kind: CompletionKind, rec: SimRecord, req: IncomingMessage, res: ServerResponse, raw: string): void {
    const body = parseJson(raw);
    rec.body = body ?? null;
    if (body !== null && typeof body === 'object' && (body as { stream?: unknown }).stream === true) rec.stream = true;
    rec.free = isFreeRequest(body);
    const latency = parseMs(req.headers['x-sim-latency-ms']) ?? this.cfg.latencyMs;

    const forced = forcedByHeader(req.headers['x-sim-force-status']) ?? this.faults.take(rec.key);
    if (forced !== undefined) {
      later(res, forced.delayMs ?? latency, () => sendReply(rec, res, forced));
      return;
    }
    const reject = (reply: ErrorReply): void => later(res, latency, () => sendReply(rec, res, reply));
    const denied = this.authError(rec);
    if (denied !== undefined) return reject(denied);
    const plan = planCompletion(kind, body, rec.seq, rec.receivedAtMs);
    if (isErrorReply(plan)) return reject(plan);
    const key = rec.key as string;
    if (this.cfg.noCreditKeys.has(key)) return reject(insufficientCredits());
    // Only `:free` models count toward (and are held to) the account's request limits.
    const decision = rec.free
      ? this.limiter.check(rec.account as string, rec.hrMs, rec.receivedAtMs, this.cfg.perMinute, this.cfg.perDay)
      : { ok: true as const };
    if (!decision.ok) {
      rec.limited = true;
      rec.limitKind = decision.kind;
      return reject(rateLimited(decision, creatorUserId(this.cfg, key)));
    }

    this.generations.add(key, plan);
    // OpenRouter names the generation in a header on every endpoint.
    const headers = { 'x-generation-id': plan.id };
    if (plan.stream) {
      rec.status = 200;
      writeStream(res, plan, latency, this.cfg.chunkDelayMs, headers);
    } else {
      later(res, latency, () => sendText(rec, res, 200, JSON.stringify(completionBody(plan)), headers));
    }
  }

  snapshot(afterSeq: number): SimRecord[] {
    return this.store.snapshot(afterSeq);
  }

  reset(): void {
    this.store.clear();
    this.limiter.clear();
    this.faults.clear();
    this.generations.clear();
  }

  spend(account: string, requests: number): void {
    this.limiter.spend(account, requests, Date.now());
  }

  configure(patch: SimulatorConfigPatch): void {
    applyPatch(this.cfg, patch);
    if (patch.faults !== undefined) this.faults.replace(patch.faults);
  }
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const core = new SimulatorCore();
  core.configure(options);
  const server = createServer({ keepAlive: true, noDelay: true }, core.onRequest);
  // Above the usual 60 s client idle timeouts, so the gateway's pooled sockets are not cut under it.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost(host)}:${port}${BASE}`,
    port,
    records: () => core.snapshot(0),
    reset: () => core.reset(),
    configure: (patch) => core.configure(patch),
    spend: (account, requests) => core.spend(account, requests),
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
