import type { Redis } from 'ioredis';
import type { KeyLimits } from '../config/config.js';
import { LuaScript } from '../limits/lua-script.js';
import { enforcedSpacingMs } from '../limits/key-slots.js';

const statusScript = new LuaScript('key-status');

export type KeyState = 'active' | 'cooling-down' | 'exhausted' | 'disabled';

export interface KeyLimitStatus {
  state: KeyState;
  /** Why the key is disabled (e.g. invalid), when it is. */
  disabledReason: string | null;
  today: { started: number; succeeded: number; failed: number; promptTokens: number; completionTokens: number };
  thisMinute: number;
  limits: { minIntervalMs: number; perMinute: number; perDay: number };
  /** Requests routed to this key and not started yet. */
  reserved: number;
  nextFreeSlotAt: string;
  nextFreeSlotInMs: number;
  cooldownUntil: string | null;
  resetsAt: string;
}

/** key-status.lua's reply, by field name. */
export interface KeyStatusReply {
  now: number;
  nextStart: number;
  thisMinute: number;
  started: number;
  succeeded: number;
  failed: number;
  promptTokens: number;
  completionTokens: number;
  reserved: number;
  dayLimit: number;
  cooldownUntil: number;
  /** Why the key is disabled; '' when it is not. */
  disabled: string;
  exhaustedUntil: number;
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
  'reserved',
  'dayLimit',
  'cooldownUntil',
  'exhaustedUntil',
] as const satisfies readonly Exclude<keyof KeyStatusReply, 'disabled'>[];

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
  return { ...numbers, disabled: String(field('disabled')) };
}

/** Reads one key's limit state from Redis, computed by the same Lua helpers that enforce the limits. */
export async function readKeyLimitStatus(redis: Redis, base: string, limits: KeyLimits): Promise<KeyLimitStatus> {
  const r = decodeKeyStatusReply(await statusScript.run(redis, [], [base, enforcedSpacingMs(limits), limits.perMinute, limits.perDay]));
  const { now, started, disabled } = r;
  const perDay = r.dayLimit;
  const cooldown = r.cooldownUntil;
  const dayMs = 86_400_000;
  const resetsAt = (Math.floor(now / dayMs) + 1) * dayMs;
  const exhausted = (perDay > 0 && started >= perDay) || r.exhaustedUntil > now;
  const nextStart = exhausted ? Math.max(r.nextStart, resetsAt) : r.nextStart;
  let state: KeyState = 'active';
  if (disabled !== '') state = 'disabled';
  else if (exhausted) state = 'exhausted';
  else if (cooldown > now) state = 'cooling-down';
  return {
    state,
    disabledReason: disabled === '' ? null : disabled,
    today: { started, succeeded: r.succeeded, failed: r.failed, promptTokens: r.promptTokens, completionTokens: r.completionTokens },
    thisMinute: r.thisMinute,
    limits: { minIntervalMs: limits.minIntervalMs, perMinute: limits.perMinute, perDay },
    reserved: r.reserved,
    nextFreeSlotAt: new Date(nextStart).toISOString(),
    nextFreeSlotInMs: Math.max(0, nextStart - now),
    cooldownUntil: cooldown > now ? new Date(cooldown).toISOString() : null,
    resetsAt: new Date(resetsAt).toISOString(),
  };
}
