import type { RedisClient } from '../redis/redis-client.js';
import type { KeyLimits } from '../config/config.js';
import type { AccountSource } from '../accounts/account-id.js';
import { LuaScript } from '../limits/lua-script.js';
import { accountArgs, enforcedSpacingMs } from '../limits/key-slots.js';

const statusScript = new LuaScript('key-status');

export type KeyState = 'active' | 'cooling-down' | 'exhausted' | 'disabled';

/** Where the daily ceiling in force comes from: upstream's GET /key, KEY_REQUESTS_PER_DAY, or a per-day 429. */
export type LimitSource = 'upstream' | 'config' | 'learned';

/** The account a key's free-model requests count against, as the limit scripts see it. */
export interface KeyAccountView {
  /** Masked account id, the declared name, or the key's id while its account is unknown. */
  id: string;
  known: boolean;
  source: AccountSource;
  /** Today's free-model requests of the whole account: ours, or upstream's figure plus ours since, whichever is more. */
  used: number;
  /** Today's ceiling; 0 = no daily limit. */
  limit: number;
  limitSource: LimitSource;
  /** Free-model requests the gateway started on the account today (all its keys). */
  started: number;
  upstreamUsed: number | null;
  upstreamLimit: number | null;
  /** Free-model starts of the account in the last 60 s. */
  thisMinute: number;
}

export interface KeyLimitStatus {
  state: KeyState;
  /** Why the key is disabled (e.g. invalid), when it is. */
  disabledReason: string | null;
  /** This key's own share today (free-model `started`; paid-model requests apart). */
  today: { started: number; succeeded: number; failed: number; promptTokens: number; completionTokens: number; paidStarted: number };
  /** This key's free-model starts in the last 60 s. */
  thisMinute: number;
  /** perMinute and perDay hold for the key's account (perDay: the ceiling in force for it). */
  limits: { minIntervalMs: number; perMinute: number; perDay: number };
  /** Free-model requests routed to this key and not started yet. */
  reserved: number;
  /** Paid-model requests routed to this key and not started yet. */
  paidReserved: number;
  nextFreeSlotAt: string;
  nextFreeSlotInMs: number;
  cooldownUntil: string | null;
  resetsAt: string;
  account: KeyAccountView;
}

/** key-status.lua's reply, by field name. */
export interface KeyStatusReply {
  now: number;
  nextStart: number;
  /** This key's own free-model starts in the last 60 s. */
  thisMinute: number;
  started: number;
  succeeded: number;
  failed: number;
  promptTokens: number;
  completionTokens: number;
  paidStarted: number;
  reserved: number;
  paidReserved: number;
  /** Why the key is disabled; '' when it is not. */
  disabled: string;
  /** The account's, like everything below. */
  cooldownUntil: number;
  exhaustedUntil: number;
  accountBase: string;
  /** '' while the account is not known. */
  accountMasked: string;
  accountSource: string;
  accountMinute: number;
  accountStarted: number;
  dayUsed: number;
  dayLimit: number;
  limitSource: string;
  /** -1 when upstream did not report it. */
  upstreamUsed: number;
  upstreamLimit: number;
}

const NUMERIC_FIELDS = [
  'now',
  'nextStart',
  'thisMinute',
  'started',
  'succeeded',
  'failed',
  'promptTokens',
  'completionTokens',
  'paidStarted',
  'reserved',
  'paidReserved',
  'cooldownUntil',
  'exhaustedUntil',
  'accountMinute',
  'accountStarted',
  'dayUsed',
  'dayLimit',
  'upstreamUsed',
  'upstreamLimit',
] as const satisfies readonly (keyof KeyStatusReply)[];
const STRING_FIELDS = ['disabled', 'accountBase', 'accountMasked', 'accountSource', 'limitSource'] as const satisfies readonly (keyof KeyStatusReply)[];

/** Reads key-status.lua's flat field/value list; a field missing from it is a bug in the script. */
export function decodeKeyStatusReply(reply: unknown): KeyStatusReply {
  if (!Array.isArray(reply) || reply.length % 2 !== 0) throw new Error('key-status.lua: unexpected reply');
  const fields = new Map<unknown, unknown>();
  for (let i = 0; i < reply.length; i += 2) fields.set(reply[i], reply[i + 1]);
  const field = (name: keyof KeyStatusReply): string | number => {
    const value = fields.get(name);
    if (typeof value !== 'string' && typeof value !== 'number') throw new Error(`key-status.lua: reply lacks ${name}`);
    return value;
  };
  const numbers = Object.fromEntries(NUMERIC_FIELDS.map((name) => [name, Number(field(name))])) as Record<(typeof NUMERIC_FIELDS)[number], number>;
  const strings = Object.fromEntries(STRING_FIELDS.map((name) => [name, String(field(name))])) as Record<(typeof STRING_FIELDS)[number], string>;
  return { ...numbers, ...strings };
}

const SOURCES: readonly AccountSource[] = ['upstream', 'config'];
const LIMIT_SOURCES: readonly LimitSource[] = ['upstream', 'config', 'learned'];

/** Reads one key's limit state and its account's, computed by the same Lua helpers that enforce the limits. */
export async function readKeyLimitStatus(
  redis: RedisClient,
  key: { id: string; base: string },
  limits: KeyLimits,
  accountMap: string,
): Promise<KeyLimitStatus> {
  const r = decodeKeyStatusReply(
    await statusScript.run(redis, [accountMap], [key.base, enforcedSpacingMs(limits), limits.perMinute, limits.perDay, accountMap, ...accountArgs(limits)]),
  );
  const { now, disabled } = r;
  const perDay = r.dayLimit;
  const used = r.dayUsed;
  const cooldown = r.cooldownUntil;
  const dayMs = 86_400_000;
  const resetsAt = (Math.floor(now / dayMs) + 1) * dayMs;
  const exhausted = (perDay > 0 && used >= perDay) || r.exhaustedUntil > now;
  const nextStart = exhausted ? Math.max(r.nextStart, resetsAt) : r.nextStart;
  let state: KeyState = 'active';
  if (disabled !== '') state = 'disabled';
  else if (exhausted) state = 'exhausted';
  else if (cooldown > now) state = 'cooling-down';
  const source = SOURCES.find((x) => x === r.accountSource) ?? 'key';
  const limitSource = LIMIT_SOURCES.find((x) => x === r.limitSource) ?? 'config';
  return {
    state,
    disabledReason: disabled === '' ? null : disabled,
    today: {
      started: r.started,
      succeeded: r.succeeded,
      failed: r.failed,
      promptTokens: r.promptTokens,
      completionTokens: r.completionTokens,
      paidStarted: r.paidStarted,
    },
    thisMinute: r.thisMinute,
    limits: { minIntervalMs: limits.minIntervalMs, perMinute: limits.perMinute, perDay },
    reserved: r.reserved,
    paidReserved: r.paidReserved,
    nextFreeSlotAt: new Date(nextStart).toISOString(),
    nextFreeSlotInMs: Math.max(0, nextStart - now),
    cooldownUntil: cooldown > now ? new Date(cooldown).toISOString() : null,
    resetsAt: new Date(resetsAt).toISOString(),
    account: {
      id: source === 'key' ? key.id : r.accountMasked,
      known: source !== 'key',
      source,
      used,
      limit: perDay,
      limitSource,
      started: r.accountStarted,
      upstreamUsed: r.upstreamUsed < 0 ? null : r.upstreamUsed,
      upstreamLimit: r.upstreamLimit < 0 ? null : r.upstreamLimit,
      thisMinute: r.accountMinute,
    },
  };
}
