import { request } from 'node:http';

/** `Authorization: Basic …` for the admin surface. */
export function basic(user: string, pass: string): string {
  return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
}

export interface IssuedKey {
  id: string;
  key: string;
  masked: string;
}

/** POST /api/keys with the given admin headers; throws unless it answers 201. */
export async function issueKey(url: string, body: object, headers: Record<string, string> = {}): Promise<IssuedKey> {
  const res = await fetch(`${url}/api/keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`POST /api/keys answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as IssuedKey;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * GET from a chosen local source address (any of 127.0.0.0/8), which fetch cannot do:
 * lets a test be a trusted or an untrusted proxy while sending traffic only to loopback.
 */
export function getFrom(localAddress: string, url: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', localAddress, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
