import { expect, test } from 'vitest';
import { decideWriteOrigin } from '../src/admin/same-origin-writes.js';

const HOST = 'gateway.example:3000';

test.each([
  ['GET with a foreign Origin (a read)', 'GET', { host: HOST, origin: 'https://evil.example' }, true],
  ['POST without Origin (curl, scripts)', 'POST', { host: HOST }, true],
  ['POST from the page itself', 'POST', { host: HOST, origin: `http://${HOST}`, 'sec-fetch-site': 'same-origin' }, true],
  ['POST typed by hand in the address bar', 'POST', { host: HOST, 'sec-fetch-site': 'none' }, true],
  ['Origin matching regardless of case', 'PATCH', { host: HOST, origin: 'http://GATEWAY.example:3000' }, true],
  ['behind a proxy that rewrites Host but sets X-Forwarded-Host', 'DELETE', { host: '127.0.0.1:3000', 'x-forwarded-host': 'admin.example.org', origin: 'https://admin.example.org' }, true],
  ['POST from another site', 'POST', { host: HOST, origin: 'https://evil.example' }, false],
  ['POST from another port of the same host', 'POST', { host: HOST, origin: 'http://gateway.example:8080' }, false],
  ['POST from a sandboxed frame (Origin: null)', 'POST', { host: HOST, origin: 'null' }, false],
  ['DELETE flagged cross-site', 'DELETE', { host: HOST, 'sec-fetch-site': 'cross-site' }, false],
  ['PATCH flagged same-site (a sibling subdomain)', 'PATCH', { host: HOST, 'sec-fetch-site': 'same-site' }, false],
  ['same-origin Sec-Fetch-Site but a foreign Origin', 'POST', { host: HOST, origin: 'https://evil.example', 'sec-fetch-site': 'same-origin' }, false],
  ['an Origin but no Host to compare with', 'POST', { origin: 'https://evil.example' }, false],
] as const)('%s', (_what, method, headers, allowed) => {
  expect(decideWriteOrigin(method, headers).allowed).toBe(allowed);
});
