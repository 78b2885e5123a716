import type { Request, RequestHandler, Response } from 'express';
import { METRICS, type MetricsRecorder } from '@ork/shared';

/** The route pattern that answered (e.g. `/v1/chat/completions`, `/api/keys/:id`), never the raw path. */
function routeOf(req: Request): string {
  const route = (req as { route?: { path?: unknown } }).route;
  if (typeof route?.path === 'string') return `${req.baseUrl}${route.path}`;
  // Bull Board serves many asset paths: one series for all of them.
  if (req.originalUrl.startsWith('/admin/')) return '/admin/*';
  return 'unmatched';
}

/** Status for the metric: 499 (nginx's "client closed request") when the client left before any answer. */
function statusOf(res: Response): string {
  return res.headersSent ? String(res.statusCode) : '499';
}

/**
 * Counts every request once it is over, by route, method, status and client key id, and the
 * 429s the gateway itself gave (the error handler names their reason in `res.locals.errorCode`).
 */
export function httpMetrics(recorder: MetricsRecorder): RequestHandler {
  return (req, res, next) => {
    res.once('close', () => {
      const { locals } = res;
      const status = statusOf(res);
      recorder.inc(METRICS.httpRequests, {
        route: routeOf(req),
        method: req.method,
        status,
        client_key_id: locals.clientKeyId ?? '-',
      });
      // Only the gateway's own 429s: one relayed from OpenRouter carries no errorCode here.
      if (status === '429' && locals.errorCode !== undefined) recorder.inc(METRICS.refusals, { reason: locals.errorCode });
    });
    next();
  };
}
