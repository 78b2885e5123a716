export { startApi, type RunningApi } from './start-api.js';
export { createApp, OPENAI_PREFIXES } from './app.js';
