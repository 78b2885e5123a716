/**
 * `npx tsx scripts/bench/accounts-burst.ts` (after `npm run build`): the issue-15 measurement. Keys that share OpenRouter
 * accounts, a fake OpenRouter that counts the free-model limits per account (as the real one
 * does), and one burst sent at once. Prints how many requests were answered, how many upstream
 * 429s the gateway caused, and the makespan (first send to last answer).
 *
 * Environment (defaults reproduce "three keys of one account, 45 at once", with the spacing
 * scaled from 5 s to 500 ms so a run takes about two minutes instead of three):
 *   ACC_KEYS=3 ACC_ACCOUNTS=1 ACC_BURST=45 ACC_SIM_PER_MINUTE=20 ACC_SIM_PER_DAY=0
 *   ACC_SPENT_ELSEWHERE=0 (requests the first account already made today elsewhere)
 *   ACC_GATEWAY_ENV='{"KEY_MIN_INTERVAL_MS":"500"}' (anything else stays at the gateway's defaults)
 *   ACC_MODEL=meta-llama/llama-4-maverick:free
 * Keys are assigned to accounts round-robin (key i → account i mod ACC_ACCOUNTS).
 */
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { fakeKey } from '../../test/support/fake-keys.js';
import { stopAll } from '../../test/support/processes.js';
import { deleteByPrefix, freshPrefix } from '../../test/support/redis-cleanup.js';
import { answerOf } from './load.js';
import { connect, errorText, openRedis } from './redis.js';
import { startGateway, startSimulator } from './stack.js';

const env = (name: string, fallback: string): string => process.env[name] ?? fallback;
const keysCount = Number(env('ACC_KEYS', '3'));
const accounts = Number(env('ACC_ACCOUNTS', '1'));
const burst = Number(env('ACC_BURST', '45'));
const simPerMinute = env('ACC_SIM_PER_MINUTE', '20');
const simPerDay = env('ACC_SIM_PER_DAY', '0');
const spentElsewhere = Number(env('ACC_SPENT_ELSEWHERE', '0'));
const gatewayEnv = JSON.parse(env('ACC_GATEWAY_ENV', '{"KEY_MIN_INTERVAL_MS":"500"}')) as Record<string, string>;
const model = env('ACC_MODEL', 'meta-llama/llama-4-maverick:free');
const redisUrl = env('REDIS_URL', 'redis://127.0.0.1:6379');

const keys = Array.from({ length: keysCount }, fakeKey);
const accountOf = (i: number): string => `acct-${i % accounts}`;
const simAccounts = keys.map((k, i) => `${k}=${accountOf(i)}`).join(',');

const redis = openRedis(redisUrl);
await connect(redis, redisUrl);
const prefix = freshPrefix('bench');
let exitCode = 0;
try {
  const sim = await startSimulator({
    env: { SIM_ACCOUNTS: simAccounts, SIM_PER_MINUTE: simPerMinute, SIM_PER_DAY: simPerDay },
    priority: -15,
  });
  if (spentElsewhere > 0) {
    // Older simulators have no such route; the scenario then cannot be run there.
    await fetch(`${sim.origin}/__sim/spend`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ account: accountOf(0), requests: spentElsewhere }),
    }).then(async (r) => {
      if (!r.ok) throw new Error(`POST /__sim/spend: ${r.status} ${await r.text()}`);
    });
  }
  const gateway = await startGateway({ simUrl: sim.url, keys, redisUrl, prefix, env: gatewayEnv });
  const client = new Pool(gateway.url, { connections: burst, headersTimeout: 0, bodyTimeout: 0 });
  process.stderr.write(`» ${burst} requests at once over ${keysCount} keys of ${accounts} account(s), upstream ${simPerMinute}/min per account\n`);
  const started = performance.now();
  const statuses = await Promise.all(
    Array.from({ length: burst }, async (_, i) => {
      const res = await client.request({
        path: '/v1/chat/completions',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: `acc #${i}` }] }),
      });
      const text = await res.body.text();
      const ok = res.statusCode === 200 && answerOf(text) === `echo: acc #${i}`;
      return { status: res.statusCode, ok, at: performance.now() - started, text: ok ? '' : text.slice(0, 200) };
    }),
  );
  await client.close();
  const records = (await sim.control.records()).filter((r) => r.path.endsWith('/completions'));
  const limited = records.filter((r) => r.limited);
  const byAccount = new Map<string, number>();
  for (const r of records) {
    if (r.limited || r.account === null) continue;
    byAccount.set(r.account, (byAccount.get(r.account) ?? 0) + 1);
  }
  const answered = statuses.filter((s) => s.ok).length;
  const okArrivals = records.filter((r) => !r.limited).map((r) => r.hrMs).sort((a, b) => a - b);
  const t0 = okArrivals[0] ?? 0;
  const makespan = Math.max(...statuses.map((s) => s.at));
  const result = {
    answered: `${answered}/${burst}`,
    upstreamRequests: records.length,
    upstream429s: limited.length,
    perDay429s: limited.filter((r) => r.status === 429 && r.limitKind === 'day').length,
    makespanS: Number((makespan / 1000).toFixed(1)),
    servedByAccount: Object.fromEntries(byAccount),
    /** Seconds after the first, of every answered request's arrival upstream. */
    arrivalsS: okArrivals.map((t) => Number(((t - t0) / 1000).toFixed(2))),
    otherStatuses: statuses.filter((s) => !s.ok).map((s) => `${s.status} ${s.text}`).slice(0, 5),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  if (answered !== burst) exitCode = 1;
} catch (err) {
  process.stderr.write(`accounts-burst: ${errorText(err)}\n`);
  exitCode = 1;
} finally {
  await stopAll();
  await deleteByPrefix(redis, prefix);
  redis.disconnect();
}
process.exit(exitCode);
