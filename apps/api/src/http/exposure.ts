import type { AppConfig } from '@ork/shared';
import { isLoopbackAddress } from '@ork/shared';

/** Whether HOST makes the API reachable from other machines. */
export function listensBeyondLoopback(host: string): boolean {
  return !(host === 'localhost' || isLoopbackAddress(host));
}

/** The CORS rule in force, in words, for the start-up log. */
export function corsRule(config: AppConfig): string {
  if (config.corsOrigins.includes('*')) {
    return config.corsDefaulted ? 'any origin (CORS_ORIGINS unset; client keys are required)' : 'any origin (CORS_ORIGINS=*)';
  }
  if (config.corsOrigins.length === 0) {
    return 'no cross-origin browser caller (CORS_ORIGINS unset and API_KEY_AUTH_ENABLED=false: a web page could spend the pool)';
  }
  return `only ${config.corsOrigins.join(', ')}`;
}

/** The loud warning for a gateway anyone on the network may use and nobody needs a password for; undefined if none is due. */
export function exposureWarning(config: AppConfig): string | undefined {
  if (config.apiKeyAuthEnabled || config.adminAuth.enabled || !listensBeyondLoopback(config.host)) return undefined;
  return (
    `WARNING: listening on ${config.host}, beyond loopback, with API_KEY_AUTH_ENABLED=false and AUTH_ENABLED=false: ` +
    'anyone who reaches this port can spend your OpenRouter keys. Set API_KEY_AUTH_ENABLED=true (and AUTH_ENABLED=true), or HOST=127.0.0.1.'
  );
}
