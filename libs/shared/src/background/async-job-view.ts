import type { BackgroundItem } from './background-item.js';

/** What `GET /async/jobs/{id}` answers and the callback carries. */
export interface AsyncJobView {
  id: string;
  object: 'async.job';
  status: 'queued' | 'in_progress' | 'completed' | 'failed' | 'cancelled';
  created_at: number;
  started_at: number | null;
  completed_at: number | null;
  /** Upstream's answer (or our refusal), once finished. */
  response: { status_code: number; body: unknown } | null;
  callback: { url: string; status: string; attempts: number } | null;
}

const secs = (ms: number | undefined): number | null => (ms === undefined ? null : Math.floor(ms / 1000));

export function asyncJobView(item: BackgroundItem): AsyncJobView {
  let body: unknown = item.resultBody;
  if (item.resultBody !== undefined) {
    try {
      body = JSON.parse(item.resultBody);
    } catch {
      // Not JSON: passed on as a string.
    }
  }
  return {
    id: item.id,
    object: 'async.job',
    status: item.status === 'dispatched' ? 'in_progress' : item.status,
    created_at: secs(item.createdAt) ?? 0,
    started_at: secs(item.dispatchedAt),
    completed_at: secs(item.finishedAt),
    response: item.resultStatus === undefined ? null : { status_code: item.resultStatus, body },
    callback:
      item.callbackUrl === undefined
        ? null
        : { url: item.callbackUrl, status: item.callbackStatus ?? 'pending', attempts: item.callbackAttempts ?? 0 },
  };
}
