import type { Server } from 'node:http';
import express from 'express';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ClientKeyStore } from '@ork/shared';
import { clientAuth } from '../src/client-keys/client-auth.js';
import { errorHandler } from '../src/middleware/error-handler.js';
import { redisFixture } from '../../../libs/shared/test/redis-fixture.js';
import { waitFor } from '../../../test/support/client.js';

const fx = redisFixture();
const store = new ClientKeyStore(fx.redis, fx.keys.prefix);
const logger = pino({ level: 'silent' });
let server: Server;
let url: string;

beforeAll(async () => {
  const app = express();
  app.use(clientAuth(store, logger));
  // Stands in for the completions route, which reports the tokens it saw in res.locals.usage.
  app.post('/answer', (req, res) => {
    res.locals.usage = { promptTokens: Number(req.query.p), completionTokens: Number(req.query.c) };
    res.json({ ok: true, client: res.locals.clientKeyId as string });
  });
  app.use(errorHandler(logger, () => false));
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await fx.cleanup();
});

describe('client auth middleware', () => {
  test('attributes the request and the tokens the route reported to the key', async () => {
    const k = await store.create({ name: 'tokens', rateLimit: 0 });
    const res = await fetch(`${url}/answer?p=12&c=30`, { method: 'POST', headers: { 'x-api-key': k.key } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, client: k.id });
    const info = await waitFor(async () => {
      const i = await store.get(k.id);
      return i && i.usage.total.promptTokens > 0 ? i : undefined;
    }, 'tokens recorded');
    expect(info.usage.total).toEqual({ requests: 1, promptTokens: 12, completionTokens: 30 });
    expect(info.usage.today).toEqual({ requests: 1, promptTokens: 12, completionTokens: 30 });
  });

  test('refuses before the route runs, in OpenAI error shape', async () => {
    const res = await fetch(`${url}/answer`, { method: 'POST' });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      error: { message: expect.stringMatching(/^Missing API key/) as string, type: 'authentication_error', code: 'missing_api_key', param: null },
    });
  });
});
