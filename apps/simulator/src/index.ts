export { startSimulator } from './simulator.js';
export { ARRIVAL_TOLERANCE_MS, checkLimits, findViolations, spacingStats, maskKey } from './limit-check.js';
export { connectSimulator, spawnSimulator, SIMULATOR_MAIN } from './remote.js';
export { EMBEDDING_MODEL_IDS, MODEL_IDS } from './catalog.js';
export { embeddingOf } from './embeddings.js';
export type { Fault, RecordedHeaders, SimRecord, Simulator, SimulatorConfigPatch, SimulatorOptions } from './types.js';
export type { CheckedRecord, CheckOptions, LimitReport, LimitSpec, SpacingStat, Violation } from './limit-check.js';
export type { RemoteSimulator, SpawnedSimulator } from './remote.js';
