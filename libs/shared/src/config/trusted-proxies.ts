import { BlockList, isIP } from 'node:net';

/** Named address ranges TRUST_PROXY accepts besides literal addresses and CIDRs. */
const KEYWORDS: Record<string, readonly [string, number, 'ipv4' | 'ipv6'][]> = {
  loopback: [
    ['127.0.0.0', 8, 'ipv4'],
    ['::1', 128, 'ipv6'],
  ],
  // RFC 1918, RFC 4193 and link-local: where a hosting platform's load balancer usually sits.
  private: [
    ['10.0.0.0', 8, 'ipv4'],
    ['172.16.0.0', 12, 'ipv4'],
    ['192.168.0.0', 16, 'ipv4'],
    ['169.254.0.0', 16, 'ipv4'],
    ['fc00::', 7, 'ipv6'],
    ['fe80::', 10, 'ipv6'],
  ],
};

const family = (address: string): 'ipv4' | 'ipv6' | undefined => {
  const v = isIP(address);
  return v === 4 ? 'ipv4' : v === 6 ? 'ipv6' : undefined;
};

/**
 * The proxies whose `X-Forwarded-For` we believe (TRUST_PROXY). Empty by default: then a
 * forwarded request is never taken for a local one.
 */
export class TrustedProxies {
  private readonly list = new BlockList();

  /** Throws an Error naming the first entry that is not a keyword, an address or a CIDR. */
  constructor(readonly entries: readonly string[]) {
    for (const entry of entries) {
      const ranges = KEYWORDS[entry];
      if (ranges) {
        for (const [net, bits, type] of ranges) this.list.addSubnet(net, bits, type);
        continue;
      }
      const [address = '', bits, ...rest] = entry.split('/');
      const type = family(address);
      const max = type === 'ipv4' ? 32 : 128;
      const prefix = bits === undefined ? max : Number(bits);
      if (!type || rest.length > 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > max || bits === '') {
        throw new Error(`"${entry}" is not loopback, private, an IP address or a CIDR range`);
      }
      this.list.addSubnet(address, prefix, type);
    }
  }

  get none(): boolean {
    return this.entries.length === 0;
  }

  has(address: string): boolean {
    const type = family(address);
    return type !== undefined && this.list.check(address, type);
  }
}

const LOOPBACK = new TrustedProxies(['loopback']);

/** 127.0.0.0/8, ::1 and their IPv4-mapped forms. */
export function isLoopbackAddress(address: string | undefined): boolean {
  return address !== undefined && LOOPBACK.has(address);
}
