/**
 * `npm run demo`: the whole gateway against the built-in fake OpenRouter (three made-up keys,
 * 300 ms spacing), a burst of requests through the OpenAI SDK with a progress bar, a summary of
 * what reached "OpenRouter", then the service stays up until Ctrl-C. No keys, no network; Redis
 * from REDIS_URL (else 127.0.0.1:6379, else an embedded one), under a random prefix removed on exit.
 *
 *   npm run demo                  # burst, summary, keeps running
 *   npm run demo -- --once        # burst, summary, exit (also DEMO_EXIT=1); exit 1 if anything went wrong
 *   DEMO_REQUESTS=60 npm run demo
 */
import {
  RedisUnreachableError,
  ShutdownManager,
  connectRedis,
  createApiRedis,
  createLogger,
  parseConfig,
  redisForProcess,
} from '@ork/shared';
import { spawnSimulator } from '@ork/simulator';
import { startKeyWorkers } from '@ork/worker';
import { startApi } from '@ork/api';
import { fakeKey } from '../../test/support/fake-keys.js';
import { freePort } from '../../test/support/free-port.js';
import { deleteByPrefix, freshPrefix } from '../../test/support/redis-cleanup.js';
import { warmUpSimulator } from '../../test/support/warm-up.js';
import { burst } from './burst.js';
import { progressBar } from './progress.js';
import { reportLines, summarise } from './report.js';

const ONCE = process.argv.includes('--once') || process.env.DEMO_EXIT === '1';
const COUNT = Number(process.env.DEMO_REQUESTS ?? 30);
// Only an embedded Redis is announced here: the banner below names the URL, and a failure stays one line.
const REDIS_URL = (await redisForProcess('demo', process.env, (r) => r.dataDir && console.log(r.description))).url;
const LIMITS = { minIntervalMs: 300, perMinute: 20, perDay: 200 };

async function main(): Promise<void> {
  // Redis first: without it nothing else is worth starting.
  const redis = createApiRedis(REDIS_URL, 'ork-demo');
  try {
    await connectRedis(redis, REDIS_URL);
  } catch (err) {
    if (!(err instanceof RedisUnreachableError)) throw err;
    process.stderr.write(`demo: ${err.message}\n`);
    process.exit(1);
  }
  const prefix = freshPrefix('demo');
  const keys = Array.from({ length: 3 }, fakeKey);
  const port = ONCE ? 0 : await freePort(Number(process.env.PORT ?? 3000));

  console.log(`Starting the fake OpenRouter, the API and a worker (Redis ${REDIS_URL}, prefix ${prefix}) …`);
  // Niceness -15 (when allowed): the fake OpenRouter stamps arrivals, and must not wait for CPU to do so.
  const sim = await spawnSimulator({ SIM_LATENCY_MS: '150', SIM_CHUNK_DELAY_MS: '20' }, 10_000, -15);
  await warmUpSimulator(sim);
  const config = parseConfig({
    OPENROUTER_API_KEYS: keys.join(','),
    OPENROUTER_BASE_URL: sim.url,
    REDIS_URL,
    REDIS_PREFIX: prefix,
    HOST: '127.0.0.1',
    PORT: String(port),
    KEY_MIN_INTERVAL_MS: String(LIMITS.minIntervalMs),
    KEY_REQUESTS_PER_MINUTE: String(LIMITS.perMinute),
    KEY_REQUESTS_PER_DAY: String(LIMITS.perDay),
    SHUTDOWN_TIMEOUT_MS: '5000',
    // Quiet during the burst, so the progress bar stays readable; LOG_LEVEL=info shows every request.
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    LOG_PRETTY: 'true',
  });
  const logger = createLogger('ork-demo', config.logLevel, config.logPretty);
  const shutdown = new ShutdownManager(logger, 10_000);
  shutdown.add('fake OpenRouter', () => sim.close());
  // Runs last: the demo's Redis keys go, whatever happened before.
  let cleaning: Promise<void> | undefined;
  const cleanUp = (): Promise<void> =>
    (cleaning ??= (async () => {
      await deleteByPrefix(redis, prefix);
      redis.disconnect();
    })());
  let exitCode = 1;
  try {
    const workers = await startKeyWorkers(config, logger);
    const api = await startApi(config, logger);
    shutdown.add('http server', () => api.close());
    shutdown.add('key workers', () => workers.close());
    shutdown.add('redis keys', cleanUp);

    console.log(`Gateway on ${api.url}: firing ${COUNT} requests at once through the OpenAI SDK (every third streamed).`);
    const bar = progressBar(COUNT);
    const result = await burst(api.url, COUNT, (ok) => bar.tick(ok));
    bar.stop();
    const summary = summarise(await sim.records(), keys, LIMITS);
    for (const line of reportLines({ count: COUNT, result, summary, limits: LIMITS, url: api.url })) console.log(line);
    exitCode = result.answered === COUNT && summary.violations.length === 0 ? 0 : 1;
  } finally {
    if (ONCE || exitCode !== 0) {
      await shutdown.shutdown();
      // Also when start-up failed before the clean-up step was added.
      await cleanUp();
    }
  }
  if (ONCE || exitCode !== 0) process.exit(exitCode);
  console.log('\nThe gateway keeps running: open the links above. Ctrl-C stops it and removes the demo’s Redis keys.');
  shutdown.listen();
}

main().catch((err) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
