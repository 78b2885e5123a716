// Asks the gateway one question with plain fetch (Node 18+) and prints the answer. An ES module
// (this repository's package.json has "type": "module"): elsewhere, save it as client.mjs.
//   ORK_BASE_URL  the gateway's OpenAI-compatible base (default http://localhost:3000/v1)
//   ORK_API_KEY   a client key from POST /api/keys; any value when API_KEY_AUTH_ENABLED=false
//   ORK_MODEL     any OpenRouter model id
//   ORK_PROMPT    the question
const baseUrl = (process.env.ORK_BASE_URL || 'http://localhost:3000/v1').replace(/\/+$/, '');
const apiKey = process.env.ORK_API_KEY || 'unused';
const model = process.env.ORK_MODEL || 'meta-llama/llama-4-maverick:free';
const prompt = process.env.ORK_PROMPT || 'Hello, how are you?';

const res = await fetch(`${baseUrl}/chat/completions`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
  body: JSON.stringify({ model, messages: [{ role: 'user', content: prompt }] }),
});
const body = await res.json();
if (!res.ok) {
  // Every error is OpenAI-shaped; a 429 also says when to retry.
  const retry = res.headers.get('retry-after');
  console.error(`HTTP ${res.status}: ${body.error?.message ?? JSON.stringify(body)}${retry ? ` (retry after ${retry} s)` : ''}`);
  process.exit(1);
}
console.log(body.choices[0].message.content);
