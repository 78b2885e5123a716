import type { Response } from 'express';
import { ANONYMOUS_CLIENT } from '@ork/shared';

/** Whose background work this is: the admitted client key, or the one anonymous client when keys are off. */
export function backgroundClientOf(res: Response): string {
  return res.locals.clientKeyId ?? ANONYMOUS_CLIENT;
}
