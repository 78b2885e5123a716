export { startKeyWorkers, type KeyWorkers } from './key-workers.js';
