/** One HTTP request that reached the simulator (control routes under /__sim are not recorded). */
export interface SimRecord {
  seq: number;
  /** Bearer token exactly as sent, or null when no usable Authorization header was present. */
  key: string | null;
  /** Account the key belongs to; null when the key is missing or not valid. */
  account: string | null;
  method: string;
  /** Path without the query string. */
  path: string;
  /** Date.now() (plus the clock offset) at arrival; used for UTC-day accounting. */
  receivedAtMs: number;
  /** performance.timeOrigin + performance.now() (plus the clock offset) taken first thing in the request handler. */
  hrMs: number;
  /**
   * When the gateway's worker handed the request to its socket, from its `x-ork-departed-at`
   * header (sent only with TEST_HOOKS), on the same clock as receivedAtMs; null without the header.
   */
  departedAtMs: number | null;
  /** HTTP status sent; 0 while the request is still being answered. */
  status: number;
  /** Parsed JSON body, or null when absent or unparsable. */
  body: unknown;
  headers: RecordedHeaders;
  stream: boolean;
  /** The client closed the connection before the response was complete. */
  aborted: boolean;
  /** Rejected by the simulated per-minute or per-day limit. */
  limited: boolean;
  /** Which limit rejected it, when `limited`. */
  limitKind: 'minute' | 'day' | null;
  /** A completion for a `:free` model: the only kind that counts toward the account's limits. */
  free: boolean;
}

export interface RecordedHeaders {
  'http-referer'?: string;
  'x-title'?: string;
  'user-agent'?: string;
}

/**
 * A forced response, consumed in list order before normal handling of completion requests.
 * Faults never consume rate-limit quota.
 */
export interface Fault {
  /** Only requests carrying this bearer token match; omitted = every request matches. */
  key?: string;
  status: number;
  /** Response body; omitted = an OpenRouter-style `{ error: { message, code } }` for `status`. */
  body?: unknown;
  headers?: Record<string, string>;
  /** How many matching requests this fault answers; default 1, Infinity = until replaced. */
  times?: number;
  /** Delay before answering, replacing the latency setting (e.g. to provoke client timeouts). */
  delayMs?: number;
}

export interface SimulatorOptions {
  /** 0 = random free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Delay before answering completion requests; overridable per request with `x-sim-latency-ms`. */
  latencyMs?: number;
  /** Delay between streamed chunks. */
  chunkDelayMs?: number;
  /** undefined = any key starting with "sk-or-v1-" is valid. */
  validKeys?: string[];
  /** Valid keys that answer 402 on completions. */
  noCreditKeys?: string[];
  /** key -> account id; keys not listed are their own account. */
  accounts?: Record<string, string>;
  /** `:free` completions per account in any sliding 60 s window; 0 / Infinity / undefined = off. */
  perMinute?: number;
  /**
   * `:free` completions per account per UTC day; 0 / Infinity / undefined = off. When on, `GET /key`
   * reports it as `free_model_daily_requests.limit`; when off, that field is left out (older upstream).
   */
  perDay?: number;
  /**
   * Added to every time the simulator reads (arrivals, departures, its own limits), so that a
   * test can put it at 23:59:58 UTC; set it to the offset the gateway's test clock uses.
   */
  clockOffsetMs?: number;
  /** Keys whose `GET /key` answers 500 (a probe that fails); completions still work. */
  keyInfoDown?: string[];
}

/**
 * Run-time changes; only the fields present change. `port` and `host` are ignored after start.
 * `null` restores a setting's default (JSON cannot carry Infinity or undefined), so
 * `{ perMinute: null }` switches the limit off. `faults` replaces the whole queue.
 */
export type SimulatorConfigPatch = { [K in keyof SimulatorOptions]?: SimulatorOptions[K] | null } & {
  faults?: Fault[];
};

export interface Simulator {
  /** Base URL including /api/v1 — the OPENROUTER_BASE_URL to use. */
  url: string;
  port: number;
  /** Snapshot of the records, oldest first. */
  records(): SimRecord[];
  /** Clears records, rate-limit counters and faults; options stay as configured. */
  reset(): void;
  configure(patch: SimulatorConfigPatch): void;
  /** Marks `requests` of an account's quota for today as spent elsewhere (not recorded as requests). */
  spend(account: string, requests: number): void;
  /** Idempotent; destroys open keep-alive sockets. */
  close(): Promise<void>;
}
