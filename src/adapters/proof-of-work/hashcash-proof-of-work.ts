import crypto from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ProofOfWork, ProofOfWorkChallenge } from '../../domain/subscriptions';

/** What {@link HashcashProofOfWork} needs. */
export interface HashcashProofOfWorkOptions {
  /** The server's secret (a key for this purpose is derived from it). */
  secret: string;
  /** Where redeemed challenges are remembered until they expire, so each is used once. */
  redis: Redis;
  /** Prefix of its Redis keys. */
  keyPrefix: string;
  /** The secret number is drawn from [0, maxNumber]: the browser tries maxNumber / 2 hashes on average. */
  maxNumber: number;
  /** How long a challenge may be solved and redeemed. */
  expiresSeconds: number;
  /** The clock (tests). */
  now?: () => number;
}

const sha256 = (text: string) => crypto.createHash('sha256').update(text).digest('hex');

/**
 * ALTCHA-format proof of work, self-hosted: challenges signed with an HMAC
 * (no state until redeemed), each redeemed once (Redis `SET NX` until it
 * expires). `altcha-lib` implements the same format and could replace this.
 */
export class HashcashProofOfWork implements ProofOfWork {
  private readonly key: Buffer;
  private readonly now: () => number;

  constructor(private readonly options: HashcashProofOfWorkOptions) {
    this.key = crypto.createHmac('sha256', options.secret).update('proof-of-work').digest();
    this.now = options.now ?? Date.now;
  }

  private sign(challenge: string): string {
    return crypto.createHmac('sha256', this.key).update(challenge).digest('hex');
  }

  issue(): ProofOfWorkChallenge {
    const expires = Math.floor(this.now() / 1000) + this.options.expiresSeconds;
    const salt = `${crypto.randomBytes(12).toString('hex')}?expires=${expires}`;
    const number = crypto.randomInt(0, this.options.maxNumber + 1);
    const challenge = sha256(`${salt}${number}`);
    return {
      algorithm: 'SHA-256',
      challenge,
      maxnumber: this.options.maxNumber,
      salt,
      signature: this.sign(challenge),
    };
  }

  async redeem(payload: string | undefined): Promise<string | null> {
    const refused = 'the anti-spam check is missing or not valid: reload the page and send the form again';
    if (!payload) return refused;
    let solution: { algorithm?: unknown; challenge?: unknown; number?: unknown; salt?: unknown; signature?: unknown };
    try {
      solution = JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as typeof solution;
    } catch {
      return refused;
    }
    const { algorithm, challenge, number, salt, signature } = solution ?? {};
    if (
      algorithm !== 'SHA-256' ||
      typeof challenge !== 'string' ||
      typeof salt !== 'string' ||
      typeof signature !== 'string' ||
      typeof number !== 'number' ||
      !Number.isInteger(number)
    )
      return refused;
    const expected = Buffer.from(this.sign(challenge), 'hex');
    const given = Buffer.from(signature, 'hex');
    if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return refused;
    if (sha256(`${salt}${number}`) !== challenge) return refused;
    const expires = Number(/[?&]expires=(\d+)$/.exec(salt)?.[1]);
    const left = expires - Math.floor(this.now() / 1000);
    if (!Number.isFinite(expires) || left <= 0) return 'the anti-spam check expired: send the form again';
    try {
      const fresh = await this.options.redis.set(`${this.options.keyPrefix}${challenge}`, '1', 'EX', left, 'NX');
      if (fresh === null) return 'this anti-spam check was already used: send the form again';
    } catch {
      // Redis down: the signature and expiry still hold; a replay within the window is the lesser harm than refusing everyone.
    }
    return null;
  }
}
