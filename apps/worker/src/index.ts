export { startKeyWorkers, type KeyWorkers, type StartKeyWorkersOptions } from './key-workers.js';
export { UpstreamClient } from './upstream/upstream-client.js';
export { GENERATION_OWNER_TTL_S } from './generation-owner.js';
