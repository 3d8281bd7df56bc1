import crypto from 'node:crypto';
import type { TokenClaims, TokenPurpose, TokenSigner } from '../../domain/subscriptions';

/*
 * Token format: `<payload>.<mac>`, both base64url (URL-safe, no padding).
 * payload = JSON {v, p, s, e[, c]} (version, purpose, subscriber id, email,
 * and for a confirm link of one pending subscription change its id);
 * mac = HMAC-SHA256(secret, "algo-signals-token." + payload).
 * No expiry: an unsubscribe link in a years-old email must still work, and a
 * confirm link only ever confirms what its owner asked for.
 */
const TOKEN_VERSION = 1;
/** Longer inputs are rejected before any decoding (a 254-char address makes a ~400-char token). */
const MAX_TOKEN_LENGTH = 1024;
const MAC_BYTES = 32;

function mac(secret: string, payload: string): Buffer {
  return crypto.createHmac('sha256', secret).update(`algo-signals-token.${payload}`).digest();
}

/** A URL-safe token carrying `claims`, signed with HMAC-SHA256 under `secret`. */
export function signToken(claims: TokenClaims, secret: string): string {
  const payload = Buffer.from(
    JSON.stringify({
      v: TOKEN_VERSION,
      p: claims.purpose,
      s: claims.subscriberId,
      e: claims.email,
      ...(claims.changeId !== undefined ? { c: claims.changeId } : {}),
    }),
  ).toString('base64url');
  return `${payload}.${mac(secret, payload).toString('base64url')}`;
}

/**
 * The claims of `token` if it was signed under `secret` for `purpose`; null
 * for anything else. The MAC is compared in constant time.
 */
export function verifyToken(token: string, purpose: TokenPurpose, secret: string): TokenClaims | null {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return null;
  const parts = token.split('.');
  if (parts.length !== 2 || !/^[A-Za-z0-9_-]+$/.test(parts[0]) || !/^[A-Za-z0-9_-]+$/.test(parts[1])) return null;
  const [payload, signature] = parts;
  const given = Buffer.from(signature, 'base64url');
  const expected = mac(secret, payload);
  if (given.length !== MAC_BYTES || !crypto.timingSafeEqual(given, expected)) return null;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  const d = decoded as { v?: unknown; p?: unknown; s?: unknown; e?: unknown; c?: unknown };
  if (d?.v !== TOKEN_VERSION || d.p !== purpose || !Number.isSafeInteger(d.s) || typeof d.e !== 'string') return null;
  if (d.c !== undefined && !Number.isSafeInteger(d.c)) return null;
  return {
    purpose,
    subscriberId: d.s as number,
    email: d.e,
    ...(d.c !== undefined ? { changeId: d.c as number } : {}),
  };
}

/** {@link TokenSigner} with HMAC-SHA256 and one secret (config `api.tokenSecret`). */
export class HmacTokenSigner implements TokenSigner {
  constructor(private readonly secret: string) {
    if (secret.length < 16) throw new Error('token secret: at least 16 characters');
  }

  sign(claims: TokenClaims): string {
    return signToken(claims, this.secret);
  }

  verify(token: string, purpose: TokenPurpose): TokenClaims | null {
    return verifyToken(token, purpose, this.secret);
  }
}
