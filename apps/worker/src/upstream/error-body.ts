/**
 * Upstream errors pass through as they are, but only JSON ones are OpenAI-shaped already: a
 * non-JSON body (an HTML error page, a truncated answer) is wrapped so every client can read it.
 */
export function asJsonErrorBody(status: number, contentType: string, body: string): { body: string; contentType: string } {
  if (status < 400) return { body, contentType };
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === 'object' && parsed !== null) return { body, contentType };
  } catch {
    // not JSON: wrapped below
  }
  const excerpt = body.replace(/\s+/g, ' ').trim().slice(0, 200);
  const error = {
    message: `OpenRouter answered ${status} with a body that is not JSON${excerpt ? `: ${excerpt}` : ''}`,
    type: 'upstream_error',
    code: status,
    param: null,
  };
  return { body: JSON.stringify({ error }), contentType: 'application/json' };
}
