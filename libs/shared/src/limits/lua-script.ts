import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { RedisClient } from '../redis/redis-client.js';
import { luaPrelude } from './lua-constants.js';

// lua/ sits at the package root, at the same depth from src/ and dist/.
const luaDir = new URL('../../lua/', import.meta.url);

function readLua(name: string): string {
  return readFileSync(new URL(name, luaDir), 'utf8');
}

interface Compiled {
  source: string;
  sha: string;
}

function compile(source: string): Compiled {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * Redis clients whose scripts run on the test clock, each with the Redis key holding its offset.
 * Filled only by useTestClock(), which the processes call only with TEST_HOOKS=true (refused by
 * the config unless NODE_ENV=test): in production it stays empty and every script reads Redis TIME.
 */
const testClocks = new WeakMap<RedisClient, string>();

/**
 * Test suite only: this client's scripts add the offset stored at `offsetRedisKey` to Redis TIME
 * (see lua/test-clock.lua and test/support/test-clock.ts).
 */
export function useTestClock(redis: RedisClient, offsetRedisKey: string): void {
  if (!/^[A-Za-z0-9_:{}-]+$/.test(offsetRedisKey)) throw new Error(`unsafe test clock key ${offsetRedisKey}`);
  testClocks.set(redis, offsetRedisKey);
}

/**
 * A Lua script run by SHA, loaded on first use or after a Redis restart (NOSCRIPT). Its source is
 * the generated prelude (key names, reply codes: lua-constants.ts), then common.lua, then the script;
 * on a test-clock client, lua/test-clock.lua goes between common.lua and the script.
 */
export class LuaScript {
  private readonly head: string;
  private readonly body: string;
  private readonly production: Compiled;
  private readonly onTestClock = new Map<string, Compiled>();

  constructor(name: string) {
    this.head = `${luaPrelude()}${readLua('common.lua')}`;
    this.body = readLua(`${name}.lua`);
    this.production = compile(`${this.head}\n${this.body}`);
  }

  private compiledFor(redis: RedisClient): Compiled {
    const clockKey = testClocks.get(redis);
    if (clockKey === undefined) return this.production;
    let compiled = this.onTestClock.get(clockKey);
    if (compiled === undefined) {
      const hook = `local TEST_CLOCK_KEY = '${clockKey}'\n${readLua('test-clock.lua')}`;
      compiled = compile(`${this.head}\n${hook}\n${this.body}`);
      this.onTestClock.set(clockKey, compiled);
    }
    return compiled;
  }

  async run(redis: RedisClient, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    // Redis Cluster sends a script to the node of its keys: a script naming none would land anywhere.
    if (keys.length === 0) throw new Error('a Lua script must name at least one Redis key (its cluster slot)');
    const { sha, source } = this.compiledFor(redis);
    try {
      return await redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('NOSCRIPT')) {
        return redis.eval(source, keys.length, ...keys, ...args);
      }
      throw err;
    }
  }
}

/** Reads a `{number, number}` reply of our scripts. */
export function pair(reply: unknown): [number, number] {
  if (!Array.isArray(reply) || reply.length < 2) throw new Error('unexpected Lua reply');
  return [Number(reply[0]), Number(reply[1])];
}
