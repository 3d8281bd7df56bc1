import net from 'node:net';
import path from 'node:path';
import fs from 'node:fs';
import YAML from 'yaml';
import { PROJECT_ROOT, type AppConfig } from '../config/config';

/** The admin key and token secret shipped in config/default.yaml: fine on loopback, never on a reachable address. */
export function shippedSecrets(file = path.join(PROJECT_ROOT, 'config', 'default.yaml')): {
  apiKey?: string;
  tokenSecret?: string;
} {
  const raw = YAML.parse(fs.readFileSync(file, 'utf8')) as { api?: { apiKey?: string; tokenSecret?: string } } | null;
  return { apiKey: raw?.api?.apiKey, tokenSecret: raw?.api?.tokenSecret };
}

/** True for 127.0.0.0/8, ::1 and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  if (h === 'localhost') return true;
  if (net.isIPv4(h)) return h.startsWith('127.');
  if (net.isIPv6(h)) return h === '::1' || /^::ffff:127\./.test(h);
  return false;
}

/** The shortest admin key a reachable API accepts: guessing it must be hopeless, not merely slow. */
export const MIN_REACHABLE_API_KEY_LENGTH = 32;

/**
 * Why the API must not listen with this config, or null when it may: on a
 * non-loopback host (0.0.0.0, a LAN address, a name) the shipped `apiKey`
 * and `tokenSecret` would let anyone administer it and forge links, and a
 * short `apiKey` could be guessed.
 */
export function unsafeListenReason(
  api: Pick<AppConfig['api'], 'host' | 'apiKey' | 'tokenSecret'>,
  shipped = shippedSecrets(),
): string | null {
  if (isLoopbackHost(api.host)) return null;
  const defaults = [
    api.apiKey === shipped.apiKey ? 'api.apiKey (API_KEY)' : null,
    api.tokenSecret === shipped.tokenSecret ? 'api.tokenSecret (TOKEN_SECRET)' : null,
  ].filter((x): x is string => x !== null);
  if (defaults.length === 0) {
    if (api.apiKey.length >= MIN_REACHABLE_API_KEY_LENGTH) return null;
    return (
      `refusing to listen on ${api.host}: api.apiKey (API_KEY) is shorter than ${MIN_REACHABLE_API_KEY_LENGTH} characters; ` +
      'set a longer one (openssl rand -hex 24) or listen on 127.0.0.1'
    );
  }
  return `refusing to listen on ${api.host}: ${defaults.join(' and ')} still the shipped default; set your own or listen on 127.0.0.1`;
}
