// The producer side of the key queues lives in @ork/shared, shared with the workers' rerouting.
export { KeyQueues, type KeyQueue } from '@ork/shared';
