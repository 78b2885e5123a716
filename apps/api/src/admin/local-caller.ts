import type { IncomingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';
import { isLoopbackAddress, type TrustedProxies } from '@ork/shared';

export type LocalCallerDecision = { local: true; caller: string } | { local: false; reason: string };

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
};

/**
 * Whether the caller of an admin route is on this machine, for AUTH_ENABLED=false.
 *
 * A reverse proxy on the same host makes every relayed request come from loopback, so a request
 * carrying X-Forwarded-For, Forwarded or X-Real-IP is never local unless it came from a proxy
 * named in TRUST_PROXY. From such a proxy the caller is found by walking X-Forwarded-For from the
 * right past trusted hops (each proxy appends the address it saw; the left part is the client's
 * say-so). A loopback caller counts only as reported by a proxy on this machine: a trusted proxy
 * elsewhere (TRUST_PROXY=private) vouches for remote callers only. Anything unreadable is remote.
 */
export function decideLocalCaller(
  peer: string | undefined,
  headers: IncomingHttpHeaders,
  trusted: TrustedProxies,
): LocalCallerDecision {
  if (peer === undefined) return { local: false, reason: 'the peer address is unknown' };
  const forwardedFor = header(headers, 'x-forwarded-for');
  const forwarded = forwardedFor !== undefined || headers.forwarded !== undefined || headers['x-real-ip'] !== undefined;
  if (!forwarded) {
    return isLoopbackAddress(peer) ? { local: true, caller: peer } : { local: false, reason: `${peer} is not loopback` };
  }
  if (!trusted.has(peer)) {
    return { local: false, reason: `forwarded by ${peer}, which TRUST_PROXY does not name` };
  }
  if (forwardedFor === undefined) {
    return { local: false, reason: 'forwarded without X-Forwarded-For (Forwarded and X-Real-IP are not read)' };
  }
  let caller = peer;
  let reporter = peer;
  const hops = forwardedFor.split(',').map((s) => s.trim());
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] ?? '';
    if (isIP(hop) === 0) return { local: false, reason: 'X-Forwarded-For holds something that is not an address' };
    // "127.0.0.1" from a proxy on another machine is that machine's loopback (or a lie), never ours.
    if (isLoopbackAddress(hop) && !isLoopbackAddress(reporter)) {
      return { local: false, reason: `${reporter} reported a loopback caller, which only a proxy on this machine can` };
    }
    caller = hop;
    reporter = hop;
    if (!trusted.has(hop)) break;
  }
  return isLoopbackAddress(caller) ? { local: true, caller } : { local: false, reason: `the caller ${caller} is not loopback` };
}
