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

/** Reads one key's limit state from Redis, computed by the same Lua helpers that enforce the limits. */
export async function readKeyLimitStatus(redis: Redis, base: string, limits: KeyLimits): Promise<KeyLimitStatus> {
  const r = (await statusScript.run(redis, [], [base, enforcedSpacingMs(limits), limits.perMinute, limits.perDay])) as (
    | string
    | number
  )[];
  const n = (i: number): number => Number(r[i] ?? 0);
  const now = n(0);
  const perDay = n(9);
  const started = n(3);
  const cooldown = n(10);
  const disabled = String(r[11] ?? '');
  const dayMs = 86_400_000;
  const resetsAt = (Math.floor(now / dayMs) + 1) * dayMs;
  const exhausted = (perDay > 0 && started >= perDay) || n(12) > now;
  const nextStart = exhausted ? Math.max(n(1), resetsAt) : n(1);
  let state: KeyState = 'active';
  if (disabled !== '') state = 'disabled';
  else if (exhausted) state = 'exhausted';
  else if (cooldown > now) state = 'cooling-down';
  return {
    state,
    disabledReason: disabled === '' ? null : disabled,
    today: { started, succeeded: n(4), failed: n(5), promptTokens: n(6), completionTokens: n(7) },
    thisMinute: n(2),
    limits: { minIntervalMs: limits.minIntervalMs, perMinute: limits.perMinute, perDay },
    reserved: n(8),
    nextFreeSlotAt: new Date(nextStart).toISOString(),
    nextFreeSlotInMs: Math.max(0, nextStart - now),
    cooldownUntil: cooldown > now ? new Date(cooldown).toISOString() : null,
    resetsAt: new Date(resetsAt).toISOString(),
  };
}
