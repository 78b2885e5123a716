export { startKeyWorkers, type KeyWorkers } from './key-workers.js';
export { UpstreamClient } from './upstream/upstream-client.js';
