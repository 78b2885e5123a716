import { createHash } from 'node:crypto';
import type { Fault, SimulatorConfigPatch } from './types.js';

export const KEY_PREFIX = 'sk-or-v1-';

/** Options in the shape the hot path wants: sets and maps instead of arrays and records. */
export interface SimConfig {
  latencyMs: number;
  chunkDelayMs: number;
  validKeys: Set<string> | undefined;
  noCreditKeys: Set<string>;
  accounts: Map<string, string>;
  keyInfoDown: Set<string>;
  perMinute: number;
  perDay: number;
  clockOffsetMs: number;
}

export function defaultConfig(): SimConfig {
  return {
    latencyMs: 0,
    chunkDelayMs: 0,
    validKeys: undefined,
    noCreditKeys: new Set(),
    accounts: new Map(),
    keyInfoDown: new Set(),
    perMinute: Infinity,
    perDay: Infinity,
    clockOffsetMs: 0,
  };
}

/** null / undefined-from-JSON / non-positive all mean "off". */
function limit(v: number | null | undefined): number {
  return typeof v === 'number' && v > 0 ? v : Infinity;
}

/** `in` checks let an explicit `null` (JSON for "unset") clear a setting. */
export function applyPatch(cfg: SimConfig, patch: SimulatorConfigPatch): void {
  if ('latencyMs' in patch) cfg.latencyMs = patch.latencyMs ?? 0;
  if ('chunkDelayMs' in patch) cfg.chunkDelayMs = patch.chunkDelayMs ?? 0;
  if ('validKeys' in patch) cfg.validKeys = patch.validKeys ? new Set(patch.validKeys) : undefined;
  if ('noCreditKeys' in patch) cfg.noCreditKeys = new Set(patch.noCreditKeys ?? []);
  if ('accounts' in patch) cfg.accounts = new Map(Object.entries(patch.accounts ?? {}));
  if ('keyInfoDown' in patch) cfg.keyInfoDown = new Set(patch.keyInfoDown ?? []);
  if ('perMinute' in patch) cfg.perMinute = limit(patch.perMinute);
  if ('perDay' in patch) cfg.perDay = limit(patch.perDay);
  if ('clockOffsetMs' in patch) cfg.clockOffsetMs = patch.clockOffsetMs ?? 0;
}

export function isValidKey(cfg: SimConfig, key: string): boolean {
  return cfg.validKeys === undefined ? key.startsWith(KEY_PREFIX) : cfg.validKeys.has(key);
}

/** The account a key belongs to: as configured, else the key is an account of its own. */
export function accountOf(cfg: SimConfig, key: string): string {
  return cfg.accounts.get(key) ?? key;
}

/**
 * What `GET /key` reports as `creator_user_id`: `user_<account>` for configured accounts, and a
 * hash for a key that is its own account (so the key itself never appears in an answer).
 */
export function creatorUserId(cfg: SimConfig, key: string): string {
  const account = cfg.accounts.get(key);
  return account === undefined ? `user_${createHash('sha256').update(key).digest('hex').slice(0, 24)}` : `user_${account}`;
}

/** A completion request for a `:free` model (`model`, or any of the `models` fallbacks). */
export function isFreeRequest(body: unknown): boolean {
  if (body === null || typeof body !== 'object') return false;
  const b = body as { model?: unknown; models?: unknown };
  const ids = [b.model, ...(Array.isArray(b.models) ? (b.models as unknown[]) : [])];
  return ids.some((id) => typeof id === 'string' && id.endsWith(':free'));
}

export class PatchError extends Error {}

function num(v: unknown, name: string): number | null {
  if (v === null || (typeof v === 'number' && !Number.isNaN(v))) return v;
  throw new PatchError(`${name} must be a number or null`);
}

function isStrings(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === 'string');
}

function strings(v: unknown, name: string): string[] | null {
  if (v === null || isStrings(v)) return v;
  throw new PatchError(`${name} must be an array of strings or null`);
}

function fault(v: unknown): Fault {
  if (v === null || typeof v !== 'object') throw new PatchError('each fault must be an object');
  const f = v as Record<string, unknown>;
  if (typeof f.status !== 'number') throw new PatchError('fault.status must be a number');
  const out: Fault = { status: f.status };
  if (typeof f.key === 'string') out.key = f.key;
  if ('body' in f) out.body = f.body;
  if (f.headers !== null && typeof f.headers === 'object') out.headers = f.headers as Record<string, string>;
  // JSON cannot say Infinity, so -1 / null stand for "forever" over HTTP.
  if (typeof f.times === 'number') out.times = f.times < 0 ? Infinity : f.times;
  else if (f.times === null) out.times = Infinity;
  if (typeof f.delayMs === 'number') out.delayMs = f.delayMs;
  return out;
}

/** Validates a JSON patch received on POST /__sim/configure. */
export function parsePatch(v: unknown): SimulatorConfigPatch {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new PatchError('patch must be a JSON object');
  const p = v as Record<string, unknown>;
  const out: SimulatorConfigPatch = {};
  if ('latencyMs' in p) out.latencyMs = num(p.latencyMs, 'latencyMs');
  if ('chunkDelayMs' in p) out.chunkDelayMs = num(p.chunkDelayMs, 'chunkDelayMs');
  if ('perMinute' in p) out.perMinute = num(p.perMinute, 'perMinute');
  if ('perDay' in p) out.perDay = num(p.perDay, 'perDay');
  if ('clockOffsetMs' in p) out.clockOffsetMs = num(p.clockOffsetMs, 'clockOffsetMs');
  if ('validKeys' in p) out.validKeys = strings(p.validKeys, 'validKeys');
  if ('noCreditKeys' in p) out.noCreditKeys = strings(p.noCreditKeys, 'noCreditKeys');
  if ('keyInfoDown' in p) out.keyInfoDown = strings(p.keyInfoDown, 'keyInfoDown');
  if ('accounts' in p) {
    const a = p.accounts;
    if (a !== null && (typeof a !== 'object' || Array.isArray(a) || !Object.values(a).every((v) => typeof v === 'string'))) {
      throw new PatchError('accounts must be an object of strings');
    }
    out.accounts = a as Record<string, string> | null;
  }
  if ('faults' in p) {
    if (!Array.isArray(p.faults)) throw new PatchError('faults must be an array');
    out.faults = p.faults.map(fault);
  }
  return out;
}
