import type { RequestHandler } from 'express';
import { BadRequestError } from '@ork/shared';

/**
 * Deepest nesting a request body may have. Real bodies (tool schemas, structured output) stay far
 * below; thousands of levels overflow the stack of whatever walks the body next (queueing it).
 */
export const MAX_JSON_DEPTH = 64;

/** Nesting depth of a parsed JSON value, walked without recursion; stops counting past `limit`. */
export function jsonDepth(value: unknown, limit = MAX_JSON_DEPTH): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (typeof v !== 'object' || v === null) continue;
    if (depth > deepest) deepest = depth;
    if (deepest > limit) return deepest;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/** Refuses over-deep bodies with a 400 before anything else (Redis, the queue) walks them. */
export function rejectDeepJson(limit = MAX_JSON_DEPTH): RequestHandler {
  return (req, _res, next) => {
    if (jsonDepth(req.body, limit) > limit) {
      next(new BadRequestError(`The request body is nested deeper than ${limit} levels.`, { code: 'body_too_deep' }));
      return;
    }
    next();
  };
}
