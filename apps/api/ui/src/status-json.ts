/**
 * What the dashboard reads from the admin API, as JSON on the wire. The page is a client of
 * `/api/status` and `/api/keys` like any script; newer fields are optional so it works with
 * servers from before and after they were added.
 */

export type KeyStateJson = 'active' | 'cooling-down' | 'exhausted' | 'disabled';

export interface QueueCountsJson {
  name: string;
  waiting: number;
  active: number;
  delayed: number;
  completed: number;
  failed: number;
}

export interface StatusKeyJson {
  id: string;
  /** The upstream key's mask, never the key. */
  key: string;
  state: KeyStateJson;
  disabledReason: string | null;
  today: { started: number; succeeded: number; failed: number };
  thisMinute: number;
  limits: { minIntervalMs: number; perMinute: number; perDay: number };
  nextFreeSlotAt: string;
  nextFreeSlotInMs: number;
  cooldownUntil: string | null;
  resetsAt: string;
  queue: QueueCountsJson;
  /** The account this key belongs to (with per-account status). */
  accountId?: string;
}

export interface StatusAccountJson {
  /** Masked. */
  id: string;
  known: boolean;
  source: 'upstream' | 'config' | 'key';
  keys: string[];
  today: {
    used: number;
    limit: number | null;
    remaining: number | null;
    upstreamUsed: number | null;
    upstreamLimit: number | null;
    limitSource?: string;
  };
  minute: { used: number; limit: number | null };
  /** Epoch ms (what /api/status sends); an ISO string is read too. */
  nextFreeAt: number | string | null;
}

export interface StatusJson {
  time: string;
  pool: {
    keys: number;
    usableKeys: number;
    startedToday: number;
    succeededToday: number;
    failedToday: number;
    dailyCapacity: number | null;
    remainingToday: number | null;
    waiting: number;
    active: number;
  };
  keys: StatusKeyJson[];
  accounts?: StatusAccountJson[];
  lastHour?: { upstreamErrors: number; byOutcome: Record<string, number> };
  clients?: { required: boolean };
}

export interface ClientUsageJson {
  requests: number;
  promptTokens: number;
  completionTokens: number;
}

/** One entry of `GET /api/keys`: masked, never the key or its hash. */
export interface ClientKeyJson {
  id: string;
  name: string;
  masked: string;
  rateLimit: number;
  active: boolean;
  createdAt: string;
  lastUsedAt: string | null;
  usage: { today: ClientUsageJson; total: ClientUsageJson };
}

/** The answer to `POST /api/keys`: the only time the whole key is seen. */
export interface IssuedClientKeyJson extends ClientKeyJson {
  key: string;
}

export interface ErrorJson {
  error?: { message?: string; code?: string | number | null; param?: string | null };
}
