import net from 'node:net';
import path from 'node:path';
import fs from 'node:fs';
import YAML from 'yaml';
import { PROJECT_ROOT, type AppConfig } from '../config/config';

/** The admin key and token secrets shipped in config/default.yaml: fine on loopback, never on a reachable address. */
export function shippedSecrets(file = path.join(PROJECT_ROOT, 'config', 'default.yaml')): {
  apiKey?: string;
  tokenSecrets: string[];
} {
  const raw = YAML.parse(fs.readFileSync(file, 'utf8')) as {
    api?: { apiKey?: string; tokenSecrets?: string[]; tokenSecret?: string };
  } | null;
  const secrets = [...(raw?.api?.tokenSecrets ?? []), ...(raw?.api?.tokenSecret ? [raw.api.tokenSecret] : [])];
  return { apiKey: raw?.api?.apiKey, tokenSecrets: secrets };
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

/** The shortest token secret a reachable API accepts (each of `api.tokenSecrets`): 16 bytes as hex. */
export const MIN_REACHABLE_TOKEN_SECRET_LENGTH = 32;

/**
 * Why the API must not listen with this config, or null when it may: on a
 * non-loopback host (0.0.0.0, a LAN address, a name) the shipped `apiKey`
 * or a shipped secret anywhere in `tokenSecrets` would let anyone administer
 * it or forge links, and a short key or secret could be guessed.
 */
export function unsafeListenReason(
  api: Pick<AppConfig['api'], 'host' | 'apiKey' | 'tokenSecrets'>,
  shipped = shippedSecrets(),
): string | null {
  if (isLoopbackHost(api.host)) return null;
  const shippedAt = api.tokenSecrets.findIndex((s) => shipped.tokenSecrets.includes(s));
  const defaults = [
    api.apiKey === shipped.apiKey ? 'api.apiKey (API_KEY)' : null,
    shippedAt >= 0 ? `api.tokenSecrets[${shippedAt}] (TOKEN_SECRETS)` : null,
  ].filter((x): x is string => x !== null);
  if (defaults.length > 0)
    return `refusing to listen on ${api.host}: ${defaults.join(' and ')} still the shipped default; set your own or listen on 127.0.0.1`;
  if (api.apiKey.length < MIN_REACHABLE_API_KEY_LENGTH)
    return (
      `refusing to listen on ${api.host}: api.apiKey (API_KEY) is shorter than ${MIN_REACHABLE_API_KEY_LENGTH} characters; ` +
      'set a longer one (openssl rand -hex 24) or listen on 127.0.0.1'
    );
  const short = api.tokenSecrets.findIndex((s) => s.length < MIN_REACHABLE_TOKEN_SECRET_LENGTH);
  if (short >= 0)
    return (
      `refusing to listen on ${api.host}: api.tokenSecrets[${short}] (TOKEN_SECRETS) is shorter than ` +
      `${MIN_REACHABLE_TOKEN_SECRET_LENGTH} characters; set a longer one (openssl rand -hex 32) or listen on 127.0.0.1`
    );
  return null;
}
