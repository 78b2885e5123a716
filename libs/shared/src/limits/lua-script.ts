import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { luaPrelude } from './lua-constants.js';

// lua/ sits at the package root, at the same depth from src/ and dist/.
const luaDir = new URL('../../lua/', import.meta.url);

function readLua(name: string): string {
  return readFileSync(new URL(name, luaDir), 'utf8');
}

/**
 * A Lua script run by SHA, loaded on first use or after a Redis restart (NOSCRIPT). Its source is
 * the generated prelude (key names, reply codes: lua-constants.ts), then common.lua, then the script.
 */
export class LuaScript {
  private readonly source: string;
  private readonly sha: string;

  constructor(name: string) {
    this.source = `${luaPrelude()}${readLua('common.lua')}\n${readLua(`${name}.lua`)}`;
    this.sha = createHash('sha1').update(this.source).digest('hex');
  }

  async run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('NOSCRIPT')) {
        return redis.eval(this.source, keys.length, ...keys, ...args);
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
