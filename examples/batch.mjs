// A batch through the gateway with the official OpenAI SDK (npm install openai): uploads a JSONL
// file, polls the batch with a progress bar, and writes the output file.
//   ORK_BASE_URL     the gateway's OpenAI-compatible base (default http://localhost:3000/v1)
//   ORK_API_KEY      a client key from POST /api/keys; any value when API_KEY_AUTH_ENABLED=false
//   ORK_BATCH_INPUT  a JSONL file of {"custom_id", "method": "POST", "url": "/v1/chat/completions", "body"} lines;
//                    unset: a small one is made up (ORK_BATCH_SIZE lines, default 5, ORK_MODEL)
//   ORK_BATCH_OUTPUT where the output file goes (default batch-output.jsonl); errors go next to it (.errors.jsonl)
//   ORK_POLL_MS      time between polls (default 2000)
import { readFile, writeFile } from 'node:fs/promises';
import OpenAI, { toFile } from 'openai';

const openai = new OpenAI({
  baseURL: process.env.ORK_BASE_URL || 'http://localhost:3000/v1',
  apiKey: process.env.ORK_API_KEY || 'unused',
});
const outputPath = process.env.ORK_BATCH_OUTPUT || 'batch-output.jsonl';
const pollMs = Number(process.env.ORK_POLL_MS || 2000);

async function inputFile() {
  if (process.env.ORK_BATCH_INPUT) return readFile(process.env.ORK_BATCH_INPUT);
  const model = process.env.ORK_MODEL || 'meta-llama/llama-4-maverick:free';
  const size = Number(process.env.ORK_BATCH_SIZE || 5);
  const lines = Array.from({ length: size }, (_, i) =>
    JSON.stringify({ custom_id: `request-${i + 1}`, method: 'POST', url: '/v1/chat/completions', body: { model, messages: [{ role: 'user', content: `Question ${i + 1}` }] } }),
  );
  return Buffer.from(`${lines.join('\n')}\n`);
}

function bar(batch) {
  const { total = 0, completed = 0, failed = 0 } = batch.request_counts ?? {};
  const done = completed + failed;
  const width = 30;
  const filled = total > 0 ? Math.round((done / total) * width) : 0;
  const eta = batch.estimated_completion_at ? `, expected by ${new Date(batch.estimated_completion_at * 1000).toISOString()}` : '';
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} (${failed} failed) ${batch.status}${eta}`;
}

const FINAL = new Set(['completed', 'failed', 'expired', 'cancelled']);

try {
  const file = await openai.files.create({ file: await toFile(await inputFile(), 'batch-input.jsonl'), purpose: 'batch' });
  let batch = await openai.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
  // Progress on stderr (redrawn in place on a terminal), results on stdout.
  const tty = process.stderr.isTTY;
  while (!FINAL.has(batch.status)) {
    process.stderr.write(tty ? `\r${bar(batch)}` : `${bar(batch)}\n`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
    batch = await openai.batches.retrieve(batch.id);
  }
  process.stderr.write(tty ? `\r${bar(batch)}\n` : `${bar(batch)}\n`);
  if (batch.output_file_id) await writeFile(outputPath, await (await openai.files.content(batch.output_file_id)).text());
  if (batch.error_file_id) await writeFile(outputPath.replace(/\.jsonl$/, '') + '.errors.jsonl', await (await openai.files.content(batch.error_file_id)).text());
  const { completed = 0, failed = 0 } = batch.request_counts ?? {};
  console.log(`batch ${batch.id} ${batch.status}: ${completed} answered, ${failed} failed${batch.output_file_id ? `; output in ${outputPath}` : ''}`);
  if (batch.status !== 'completed') process.exitCode = 1;
} catch (err) {
  console.error(err instanceof OpenAI.APIError ? `${err.status ?? ''} error: ${err.message}` : err);
  process.exitCode = 1;
}
