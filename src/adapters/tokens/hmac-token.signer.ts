import crypto from 'node:crypto';
import type { TokenCheck, TokenClaims, TokenPurpose, TokenSigner } from '../../domain/subscriptions';

/*
 * Token format: `<payload>.<mac>`, both base64url (URL-safe, no padding).
 * payload = JSON {v, p, s, e[, c][, x]} (version, purpose, subscriber id,
 * email, for a confirm link of one pending subscription change its id, and
 * the expiry in Unix seconds); mac = HMAC-SHA256(secret, "algo-signals-token." + payload).
 * Version 2 carries `x` on confirm and manage tokens; unsubscribe tokens have
 * none: an unsubscribe link in a years-old email must still work.
 * Version 1 tokens (signed before links expired) carry no expiry and are
 * still accepted: they stop working when the secret that signed them leaves
 * `api.tokenSecrets` (see README, Security).
 */
const TOKEN_VERSION = 2;
const ACCEPTED_VERSIONS = new Set([1, TOKEN_VERSION]);
/** Longer inputs are rejected before any decoding (a 254-char address makes a ~400-char token). */
const MAX_TOKEN_LENGTH = 1024;
const MAC_BYTES = 32;
const DAY_SECONDS = 86_400;

function mac(secret: string, payload: string): Buffer {
  return crypto.createHmac('sha256', secret).update(`algo-signals-token.${payload}`).digest();
}

/**
 * A URL-safe token carrying `claims` (with `claims.expiresAt`, if any, as its
 * expiry), signed with HMAC-SHA256 under `secret`.
 */
export function signToken(claims: TokenClaims, secret: string): string {
  const expires = claims.expiresAt === undefined ? undefined : Math.floor(Date.parse(claims.expiresAt) / 1000);
  const payload = Buffer.from(
    JSON.stringify({
      v: TOKEN_VERSION,
      p: claims.purpose,
      s: claims.subscriberId,
      e: claims.email,
      ...(claims.changeId !== undefined ? { c: claims.changeId } : {}),
      ...(expires !== undefined ? { x: expires } : {}),
    }),
  ).toString('base64url');
  return `${payload}.${mac(secret, payload).toString('base64url')}`;
}

/**
 * The claims of `token` if one of `secrets` signed it for `purpose`, expired
 * or not; null for anything else. The MAC is compared in constant time.
 */
export function verifyToken(
  token: string,
  purpose: TokenPurpose,
  secrets: string | readonly string[],
): TokenClaims | null {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return null;
  const parts = token.split('.');
  if (parts.length !== 2 || !/^[A-Za-z0-9_-]+$/.test(parts[0]) || !/^[A-Za-z0-9_-]+$/.test(parts[1])) return null;
  const [payload, signature] = parts;
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== MAC_BYTES) return null;
  const keys = typeof secrets === 'string' ? [secrets] : secrets;
  // Every secret is tried (no early exit), so the time taken does not tell which one signed.
  let genuine = false;
  for (const secret of keys) if (crypto.timingSafeEqual(given, mac(secret, payload))) genuine = true;
  if (!genuine) return null;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  const d = decoded as { v?: unknown; p?: unknown; s?: unknown; e?: unknown; c?: unknown; x?: unknown };
  if (!ACCEPTED_VERSIONS.has(d?.v as number) || d.p !== purpose) return null;
  if (!Number.isSafeInteger(d.s) || typeof d.e !== 'string') return null;
  if (d.c !== undefined && !Number.isSafeInteger(d.c)) return null;
  if (d.x !== undefined && !Number.isSafeInteger(d.x)) return null;
  return {
    purpose,
    subscriberId: d.s as number,
    email: d.e,
    ...(d.c !== undefined ? { changeId: d.c as number } : {}),
    ...(d.x !== undefined ? { expiresAt: new Date((d.x as number) * 1000).toISOString() } : {}),
  };
}

/** How long each kind of link works (config `subscriptions.confirmLinkDays`, `manageLinkDays`). */
export interface LinkLifetimes {
  /** Days a confirmation link works (default 7). */
  confirmLinkDays: number;
  /** Days a manage link works (default 180). */
  manageLinkDays: number;
}

export const DEFAULT_LINK_LIFETIMES: LinkLifetimes = { confirmLinkDays: 7, manageLinkDays: 180 };

/** The shortest secret accepted: an HMAC key must not be guessable. */
export const MIN_TOKEN_SECRET_LENGTH = 16;

/**
 * {@link TokenSigner} with HMAC-SHA256 over a list of secrets (config
 * `api.tokenSecrets`): the first signs, every one verifies, so a new secret
 * can be put first while links signed with the old one keep working.
 */
export class HmacTokenSigner implements TokenSigner {
  private readonly secrets: readonly string[];
  private readonly lifetimes: LinkLifetimes;
  private readonly now: () => number;

  /**
   * @param secrets one secret, or the list (first signs)
   * @param options link lifetimes in days, and the clock (ms since the epoch; tests move it)
   */
  constructor(secrets: string | readonly string[], options: Partial<LinkLifetimes> & { now?: () => number } = {}) {
    this.secrets = typeof secrets === 'string' ? [secrets] : [...secrets];
    if (this.secrets.length === 0) throw new Error('token secrets: give at least one');
    if (this.secrets.some((s) => s.length < MIN_TOKEN_SECRET_LENGTH))
      throw new Error(`token secret: at least ${MIN_TOKEN_SECRET_LENGTH} characters`);
    this.lifetimes = {
      confirmLinkDays: options.confirmLinkDays ?? DEFAULT_LINK_LIFETIMES.confirmLinkDays,
      manageLinkDays: options.manageLinkDays ?? DEFAULT_LINK_LIFETIMES.manageLinkDays,
    };
    this.now = options.now ?? Date.now;
  }

  sign(claims: Omit<TokenClaims, 'expiresAt'>): string {
    const days =
      claims.purpose === 'confirm'
        ? this.lifetimes.confirmLinkDays
        : claims.purpose === 'manage'
          ? this.lifetimes.manageLinkDays
          : undefined;
    // A link works through the last day of its lifetime (UTC): every token of one
    // purpose signed on one day is the same, so a digest resent after a crash is
    // byte-identical to the copy that went out before it.
    const expiresAt =
      days === undefined
        ? undefined
        : new Date(
            Math.ceil((Math.floor(this.now() / 1000) + days * DAY_SECONDS) / DAY_SECONDS) * DAY_SECONDS * 1000,
          ).toISOString();
    const { purpose, subscriberId, email, changeId } = claims;
    return signToken(
      {
        purpose,
        subscriberId,
        email,
        ...(changeId !== undefined ? { changeId } : {}),
        ...(expiresAt ? { expiresAt } : {}),
      },
      this.secrets[0],
    );
  }

  verify(token: string, purpose: TokenPurpose): TokenClaims | null {
    const checked = this.check(token, purpose);
    return checked.status === 'valid' ? checked.claims : null;
  }

  check(token: string, purpose: TokenPurpose): TokenCheck {
    const claims = verifyToken(token, purpose, this.secrets);
    if (!claims) return { status: 'invalid' };
    if (claims.expiresAt !== undefined && Date.parse(claims.expiresAt) <= this.now())
      return { status: 'expired', claims };
    return { status: 'valid', claims };
  }
}
