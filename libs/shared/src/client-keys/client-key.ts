/** Requests and tokens of one client key over some period. */
export interface ClientUsage {
  requests: number;
  promptTokens: number;
  completionTokens: number;
}

/** A client key as the admin surface shows it: masked, never whole. */
export interface ClientKeyInfo {
  id: string;
  name: string;
  /** `sk-ork-ab…wxyz`. */
  masked: string;
  /** Most requests per minute (sliding window); 0 is no limit. */
  rateLimit: number;
  active: boolean;
  createdAt: string;
  lastUsedAt: string | null;
  usage: { today: ClientUsage; total: ClientUsage };
}

/** The answer to POST /api/keys: the only time the whole key is shown. */
export interface IssuedClientKey extends ClientKeyInfo {
  key: string;
}

/** The outcome of presenting a key on an OpenAI route. */
export type Admission =
  | { kind: 'admitted'; id: string }
  | { kind: 'unknown' }
  | { kind: 'disabled'; id: string }
  | { kind: 'limited'; id: string; retryAfterMs: number; limit: number };

/** Tokens of one answered request, as the completions route reports them in `res.locals.usage`. */
export interface ClientTokens {
  promptTokens: number;
  completionTokens: number;
}
