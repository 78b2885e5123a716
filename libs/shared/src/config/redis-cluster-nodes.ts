/** Where a Redis Cluster is reached: its seed nodes, and what every connection to a node needs. */
export interface RedisClusterTarget {
  nodes: { host: string; port: number }[];
  username?: string;
  password?: string;
  /** rediss:// seeds: every node connection uses TLS. */
  tls: boolean;
}

/**
 * REDIS_CLUSTER_NODES: comma-separated seed nodes, each `host:port` or `redis://[user:password@]host:port`
 * (`rediss://` for TLS). ioredis finds the other nodes from any one of them. Credentials and TLS
 * hold for the whole cluster: they are taken from the first node that gives them. Returns the
 * target, or a message saying what is wrong.
 */
export function parseRedisClusterNodes(value: string): RedisClusterTarget | string {
  const entries = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (entries.length === 0) return 'give at least one node as host:port';
  const target: RedisClusterTarget = { nodes: [], tls: false };
  for (const entry of entries) {
    let url: URL;
    try {
      url = new URL(/^[a-z]+:\/\//i.test(entry) ? entry : `redis://${entry}`);
    } catch {
      return `"${entry}" is not host:port or a redis:// URL`;
    }
    if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') return `"${entry}" must be host:port, redis:// or rediss://`;
    const port = Number(url.port);
    if (url.hostname === '' || !Number.isInteger(port) || port < 1 || port > 65535) return `"${entry}" needs a host and a port (host:port)`;
    if (url.pathname !== '' && url.pathname !== '/') return `"${entry}": a cluster has no database number`;
    target.nodes.push({ host: url.hostname.replace(/^\[|\]$/g, ''), port });
    if (url.protocol === 'rediss:') target.tls = true;
    if (url.password && target.password === undefined) {
      target.password = decodeURIComponent(url.password);
      if (url.username) target.username = decodeURIComponent(url.username);
    }
  }
  return target;
}
