import type { RedisClient } from '../redis/redis-client.js';
import { LuaScript } from '../limits/lua-script.js';

const heartbeatScript = new LuaScript('heartbeat');

/** How often an API process says it is alive. */
export const HEARTBEAT_INTERVAL_MS = 1_000;
/**
 * A heartbeat older than this means its API process is gone (killed, crashed, cut off): nobody
 * reads its replies, so workers drop its queued jobs before they spend quota.
 */
export const HEARTBEAT_STALE_MS = 5_000;
/**
 * How long a beat is kept. Far longer than the stale limit on purpose: a beat that vanished
 * sooner was lost by Redis (restarted without persistence), not merely not renewed.
 */
export const HEARTBEAT_TTL_MS = 24 * 3_600_000;

/** Writes one beat; resolves true when the previous beat was there. */
export async function beat(redis: RedisClient, heartbeatKey: string): Promise<boolean> {
  return (await heartbeatScript.run(redis, [heartbeatKey], [HEARTBEAT_TTL_MS])) !== null;
}
