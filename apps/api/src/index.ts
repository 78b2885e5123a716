export { startApi, type RunningApi, type StartApiOptions } from './start-api.js';
export { createApp, OPENAI_PREFIXES } from './app.js';
