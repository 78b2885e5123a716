/**
 * Every metric the deployment reports, in one place. Counters and histograms are written to
 * Redis by whichever process observes them (API or worker) and read back by any API process's
 * `/metrics`, so one scrape covers every process. WARNING: renaming a metric or a label starts
 * its series afresh and strands the old hash in Redis.
 */
export interface CounterSpec<L extends string = string> {
  kind: 'counter';
  name: string;
  help: string;
  labels: readonly L[];
}

export interface HistogramSpec<L extends string = string> {
  kind: 'histogram';
  name: string;
  help: string;
  labels: readonly L[];
  /** Upper bounds in the metric's unit, ascending; +Inf is implied. */
  buckets: readonly number[];
}

export type MetricSpec = CounterSpec | HistogramSpec;

/** Label values of one series, by label name. */
export type LabelValues<L extends string> = Record<L, string>;

const counter = <L extends string>(name: string, help: string, labels: readonly L[]): CounterSpec<L> => ({
  kind: 'counter',
  name,
  help,
  labels,
});

const histogram = <L extends string>(name: string, help: string, labels: readonly L[], buckets: readonly number[]): HistogramSpec<L> => ({
  kind: 'histogram',
  name,
  help,
  labels,
  buckets,
});

/** Seconds; upstream answers of free models range from a fraction of a second to minutes. */
const LATENCY_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300];
/** Seconds; a burst on a 5 s key spacing waits minutes, up to QUEUE_TIMEOUT_MS. */
const WAIT_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

export const METRICS = {
  httpRequests: counter(
    'ork_http_requests_total',
    'HTTP requests answered by the API, by matched route, method, status and client key id ("-" without client keys).',
    ['route', 'method', 'status', 'client_key_id'],
  ),
  refusals: counter(
    'ork_refusals_total',
    'Requests refused with 429 by the gateway itself: client rate limit, every key used up today, or a queue too long for QUEUE_TIMEOUT_MS.',
    ['reason'],
  ),
  upstreamRequests: counter(
    'ork_upstream_requests_total',
    'Requests sent to OpenRouter, by upstream key id, outcome and HTTP status ("-" when no answer came).',
    ['key_id', 'outcome', 'status'],
  ),
  upstreamDuration: histogram(
    'ork_upstream_duration_seconds',
    'Time from sending a request to OpenRouter until its answer was complete, by upstream key id.',
    ['key_id'],
    LATENCY_BUCKETS,
  ),
  queueWait: histogram(
    'ork_queue_wait_seconds',
    'Time from the API queuing a request until its upstream call started (moves between keys included), by the key that served it.',
    ['key_id'],
    WAIT_BUCKETS,
  ),
  limitEvents: counter(
    'ork_key_limit_events_total',
    'What happened to an upstream key: cooldown (per-minute 429), exhausted (per-day 429), disabled (invalid or no credits), reroute (a request moved off it).',
    ['key_id', 'event'],
  ),
  tokens: counter('ork_tokens_total', 'Tokens reported by OpenRouter, by upstream key id and kind (prompt, completion).', ['key_id', 'kind']),
} as const;

export const ALL_METRICS: readonly MetricSpec[] = Object.values(METRICS);
