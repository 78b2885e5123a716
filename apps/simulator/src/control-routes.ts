import type { IncomingMessage, ServerResponse } from 'node:http';
import { parsePatch, PatchError } from './config.js';
import { errorReply } from './errors.js';
import { parseJson, readBody, sendReply, sendText } from './http-util.js';
import type { SimRecord, SimulatorConfigPatch } from './types.js';

/** What the control routes may do to a running simulator. */
export interface ControlTarget {
  snapshot(afterSeq: number): SimRecord[];
  reset(): void;
  configure(patch: SimulatorConfigPatch): void;
  spend(account: string, requests: number): void;
}

function parseSpend(v: unknown): { account: string; requests: number } {
  const b = (v ?? {}) as { account?: unknown; requests?: unknown };
  if (typeof b.account !== 'string' || b.account === '') throw new PatchError('account must be a non-empty string');
  if (typeof b.requests !== 'number' || !Number.isInteger(b.requests) || b.requests < 0) {
    throw new PatchError('requests must be a non-negative integer');
  }
  return { account: b.account, requests: b.requests };
}

export const CONTROL_PREFIX = '/__sim/';

/**
 * Test-only routes for a simulator running in another process. They are not recorded, so
 * polling them never disturbs what a test asserts about upstream traffic.
 *   GET  /__sim/health
 *   GET  /__sim/records[?since=SEQ]   records with seq > SEQ
 *   POST /__sim/reset
 *   POST /__sim/configure              JSON SimulatorConfigPatch
 *   POST /__sim/spend                  {"account": "...", "requests": N}: N of today's quota spent elsewhere
 */
export function handleControl(target: ControlTarget, req: IncomingMessage, res: ServerResponse, path: string, query: string): void {
  const route = `${req.method ?? 'GET'} ${path}`;
  switch (route) {
    case 'GET /__sim/health':
      sendText(null, res, 200, '{"ok":true}');
      return;
    case 'GET /__sim/records': {
      const since = Number(new URLSearchParams(query).get('since') ?? 0);
      sendText(null, res, 200, JSON.stringify(target.snapshot(Number.isFinite(since) ? since : 0)));
      return;
    }
    case 'POST /__sim/reset':
      target.reset();
      sendText(null, res, 200, '{"ok":true}');
      return;
    case 'POST /__sim/configure':
      readBody(req, (raw) => {
        try {
          target.configure(parsePatch(parseJson(raw) ?? null));
          sendText(null, res, 200, '{"ok":true}');
        } catch (err) {
          if (!(err instanceof PatchError)) throw err;
          sendReply(null, res, errorReply(400, err.message));
        }
      });
      return;
    case 'POST /__sim/spend':
      readBody(req, (raw) => {
        try {
          const { account, requests } = parseSpend(parseJson(raw) ?? null);
          target.spend(account, requests);
          sendText(null, res, 200, '{"ok":true}');
        } catch (err) {
          if (!(err instanceof PatchError)) throw err;
          sendReply(null, res, errorReply(400, err.message));
        }
      });
      return;
    default:
      sendReply(null, res, errorReply(404, `Unknown control route ${route}`));
  }
}
