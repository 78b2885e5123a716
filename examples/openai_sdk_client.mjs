// Streams an answer through the gateway with the official OpenAI SDK (npm install openai).
//   ORK_BASE_URL  the gateway's OpenAI-compatible base (default http://localhost:3000/v1)
//   ORK_API_KEY   a client key from POST /api/keys; any value when API_KEY_AUTH_ENABLED=false
//   ORK_MODEL     any OpenRouter model id
//   ORK_PROMPT    the question
import OpenAI from 'openai';

const openai = new OpenAI({
  baseURL: process.env.ORK_BASE_URL || 'http://localhost:3000/v1',
  apiKey: process.env.ORK_API_KEY || 'unused',
});

try {
  const stream = await openai.chat.completions.create({
    model: process.env.ORK_MODEL || 'meta-llama/llama-4-maverick:free',
    messages: [{ role: 'user', content: process.env.ORK_PROMPT || 'Hello, how are you?' }],
    stream: true,
  });
  // Queue-position comments sent while the request waits are skipped by the SDK.
  for await (const chunk of stream) {
    process.stdout.write(chunk.choices[0]?.delta?.content ?? '');
  }
  process.stdout.write('\n');
} catch (err) {
  // Before the stream starts: an APIError with its status (429: RateLimitError, 401: AuthenticationError).
  // After it started: the error chunk the gateway relays, thrown as an APIError without status.
  console.error(err instanceof OpenAI.APIError ? `${err.status ?? 'stream'} error: ${err.message}` : err);
  process.exit(1);
}
