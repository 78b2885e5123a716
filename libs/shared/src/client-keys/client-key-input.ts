import { z } from 'zod';
import { BadRequestError } from '../errors/http-errors.js';

const name = z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters');
/** Requests per minute; 0 (or absent) is no limit. */
const rateLimit = z.number().int('must be a whole number').min(0, 'must be 0 or more').max(1_000_000);

const newClientKeySchema = z.strictObject({
  name,
  rateLimit: rateLimit.nullish().transform((v) => v ?? 0),
});

const clientKeyPatchSchema = z
  .strictObject({ name: name.optional(), rateLimit: rateLimit.optional(), active: z.boolean().optional() })
  .refine((p) => p.name !== undefined || p.rateLimit !== undefined || p.active !== undefined, {
    message: 'give at least one of name, rateLimit, active',
  });

export type NewClientKey = z.output<typeof newClientKeySchema>;
export type ClientKeyPatch = z.output<typeof clientKeyPatchSchema>;

function parse<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const param = issue?.path.join('.') || null;
  const message = issue?.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : issue?.message;
  throw new BadRequestError(`Invalid ${what}: ${param ? `${param} ` : ''}${message ?? 'is invalid'}.`, { param });
}

/** Body of POST /api/keys: `{"name": "...", "rateLimit": 100}`. Throws a BadRequestError. */
export function parseNewClientKey(body: unknown): NewClientKey {
  return parse(newClientKeySchema, body, 'client key');
}

/** Body of PATCH /api/keys/:id: any of name, rateLimit, active. Throws a BadRequestError. */
export function parseClientKeyPatch(body: unknown): ClientKeyPatch {
  return parse(clientKeyPatchSchema, body, 'client key change');
}
