import type { Redis } from 'ioredis';
import type { RecommendationCache, StoredRecommendation } from '../../domain/ports';

/** What the cache keeps of a current recommendation (the evidence stays in Postgres). */
export type CachedRecommendation = Pick<
  StoredRecommendation,
  'ticker' | 'strategy' | 'params' | 'reason' | 'runId' | 'asOf' | 'createdAt'
>;

/**
 * The current recommendation per ticker in Redis strings
 * `<prefix>recommendation:<TICKER>` (JSON): a cache of the `current` rows of
 * Postgres, rebuildable from them at any time ({@link rebuild}).
 */
export class RedisRecommendationCache implements RecommendationCache {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'algo:',
  ) {}

  private key(ticker: string): string {
    return `${this.prefix}recommendation:${ticker}`;
  }

  async setMany(recommendations: readonly StoredRecommendation[]): Promise<void> {
    if (recommendations.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const r of recommendations) {
      const value: CachedRecommendation = {
        ticker: r.ticker,
        strategy: r.strategy,
        params: r.params,
        reason: r.reason,
        runId: r.runId,
        asOf: r.asOf,
        createdAt: r.createdAt,
      };
      pipeline.set(this.key(r.ticker), JSON.stringify(value));
    }
    for (const [err] of (await pipeline.exec()) ?? []) if (err) throw err;
  }

  async getMany(tickers: readonly string[]): Promise<Map<string, CachedRecommendation>> {
    const out = new Map<string, CachedRecommendation>();
    if (tickers.length === 0) return out;
    const values = await this.redis.mget(...tickers.map((t) => this.key(t)));
    values.forEach((v, i) => {
      if (v) out.set(tickers[i], JSON.parse(v) as CachedRecommendation);
    });
    return out;
  }

  /** Forget every cached recommendation; returns how many keys were removed. */
  async clear(): Promise<number> {
    let removed = 0;
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}recommendation:*`, 'COUNT', 1000);
      if (keys.length) removed += await this.redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    return removed;
  }

  /** Replace the cache with `current` (the Postgres `current` rows); returns how many were cached. */
  async rebuild(current: readonly StoredRecommendation[]): Promise<number> {
    await this.clear();
    await this.setMany(current);
    return current.length;
  }
}
