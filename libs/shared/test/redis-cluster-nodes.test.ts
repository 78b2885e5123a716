import { describe, expect, test } from 'vitest';
import { parseRedisTarget } from '../src/config/config.js';

describe('REDIS_CLUSTER_NODES', () => {
  test('seed nodes as host:port or redis:// URLs, credentials and TLS for the whole cluster', () => {
    expect(parseRedisTarget({ REDIS_CLUSTER_NODES: '10.0.0.1:7000, 10.0.0.2:7001' }).redisCluster).toEqual({
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
      ],
      tls: false,
    });
    expect(parseRedisTarget({ REDIS_CLUSTER_NODES: 'rediss://default:s%40cret@cfg.example.com:6379' }).redisCluster).toEqual({
      nodes: [{ host: 'cfg.example.com', port: 6379 }],
      username: 'default',
      password: 's@cret',
      tls: true,
    });
  });

  test('unset or empty: one Redis', () => {
    expect(parseRedisTarget({}).redisCluster).toBeUndefined();
    expect(parseRedisTarget({ REDIS_CLUSTER_NODES: ' ' }).redisCluster).toBeUndefined();
  });

  test.each(['10.0.0.1', 'http://10.0.0.1:7000', 'redis://10.0.0.1:7000/2', ','])('%j stops start-up with one line naming the variable', (value) => {
    expect(() => parseRedisTarget({ REDIS_CLUSTER_NODES: value })).toThrow(/^Invalid configuration: REDIS_CLUSTER_NODES /);
  });
});
