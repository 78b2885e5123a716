// Through the gateway with the official OpenAI SDK (npm install openai): a streamed chat
// completion, a Responses API call, and an embedding.
//   ORK_BASE_URL         the gateway's OpenAI-compatible base (default http://localhost:3000/v1)
//   ORK_API_KEY          a client key from POST /api/keys; any value when API_KEY_AUTH_ENABLED=false
//   ORK_MODEL            any OpenRouter model id
//   ORK_EMBEDDING_MODEL  any OpenRouter embedding model id
//   ORK_PROMPT           the question
import OpenAI from 'openai';

const openai = new OpenAI({
  baseURL: process.env.ORK_BASE_URL || 'http://localhost:3000/v1',
  apiKey: process.env.ORK_API_KEY || 'unused',
});
const model = process.env.ORK_MODEL || 'meta-llama/llama-4-maverick:free';
const prompt = process.env.ORK_PROMPT || 'Hello, how are you?';

try {
  const stream = await openai.chat.completions.create({ model, messages: [{ role: 'user', content: prompt }], stream: true });
  // Queue-position comments sent while the request waits are skipped by the SDK.
  for await (const chunk of stream) {
    process.stdout.write(chunk.choices[0]?.delta?.content ?? '');
  }
  process.stdout.write('\n');

  // OpenRouter's Responses API is stateless: leave `store` out (or false) and send the whole conversation.
  const response = await openai.responses.create({ model, input: prompt });
  console.log(response.output_text);

  const embedding = await openai.embeddings.create({
    model: process.env.ORK_EMBEDDING_MODEL || 'openai/text-embedding-3-small',
    input: prompt,
  });
  const vector = embedding.data[0]?.embedding ?? [];
  console.log(`embedding: ${vector.length} dimensions, starting ${vector.slice(0, 3).join(', ')}`);
} catch (err) {
  // Before a stream starts: an APIError with its status (429: RateLimitError, 401: AuthenticationError).
  // After it started: the error chunk the gateway relays, thrown as an APIError without status.
  console.error(err instanceof OpenAI.APIError ? `${err.status ?? 'stream'} error: ${err.message}` : err);
  process.exit(1);
}
