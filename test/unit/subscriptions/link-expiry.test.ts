import { HmacTokenSigner } from '../../../src/adapters/tokens/hmac-token.signer';

const SECRET = 'link-expiry-secret-0123456789abcdef';
const HOUR = 3_600_000;

describe('link expiry: a link works through the last day of its lifetime (UTC)', () => {
  it('signs the same manage link all day long, so a digest resent after a crash is the same message', () => {
    let now = Date.parse('2026-12-07T00:00:01Z');
    const signer = new HmacTokenSigner(SECRET, { now: () => now });
    const claims = { purpose: 'manage', subscriberId: 7, email: 'ann@example.com' } as const;
    const morning = signer.sign(claims);
    now = Date.parse('2026-12-07T23:59:59Z');
    expect(signer.sign(claims)).toBe(morning);
    now = Date.parse('2026-12-08T00:00:01Z');
    expect(signer.sign(claims)).not.toBe(morning);
  });

  it('a confirm link signed at noon works until the end of the seventh day after, and not a second longer', () => {
    const signedAt = Date.parse('2026-12-07T12:00:00Z');
    let now = signedAt;
    const signer = new HmacTokenSigner(SECRET, { now: () => now });
    const token = signer.sign({ purpose: 'confirm', subscriberId: 7, email: 'ann@example.com' });
    expect(signer.verify(token, 'confirm')?.expiresAt).toBe('2026-12-15T00:00:00.000Z');
    now = signedAt + 7 * 24 * HOUR + 11 * HOUR; // 2026-12-14T23:00Z
    expect(signer.check(token, 'confirm').status).toBe('valid');
    now = Date.parse('2026-12-15T00:00:00Z');
    expect(signer.check(token, 'confirm').status).toBe('expired');
  });
});
