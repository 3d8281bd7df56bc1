import type { Redis } from 'ioredis';
import { stateKey, type StoredStrategyState, type StrategyPair, type StrategyStateStore } from '../../domain/ports';

// Compare-and-set in one round trip, atomically: write only when the stored
// state is missing, has another fingerprint, or is older than the new one.
// ISO dates compare correctly as strings.
const ADVANCE_SCRIPT = `
local current = redis.call('HMGET', KEYS[1], 'fingerprint', 'lastDate')
if current[1] == ARGV[1] and current[2] and current[2] >= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'fingerprint', ARGV[1], 'lastDate', ARGV[2], 'state', ARGV[3])
return 1`;

/** Strategy state in Redis hashes `<prefix>state:<TICKER>:<strategy>`. */
export class RedisStrategyStateStore implements StrategyStateStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'algo:',
  ) {
    redis.defineCommand('algoAdvanceState', { numberOfKeys: 1, lua: ADVANCE_SCRIPT });
  }

  private key(ticker: string, strategy: string): string {
    return `${this.prefix}state:${ticker}:${strategy}`;
  }

  async getMany(keys: ReadonlyArray<StrategyPair>): Promise<Map<string, StoredStrategyState>> {
    const out = new Map<string, StoredStrategyState>();
    if (keys.length === 0) return out;
    const pipeline = this.redis.pipeline();
    for (const k of keys) pipeline.hmget(this.key(k.ticker, k.strategy), 'fingerprint', 'state');
    const replies = (await pipeline.exec()) ?? [];
    replies.forEach(([err, value], i) => {
      if (err) throw err;
      const [fingerprint, state] = value as [string | null, string | null];
      if (fingerprint && state)
        out.set(stateKey(keys[i].ticker, keys[i].strategy), { fingerprint, state: JSON.parse(state) });
    });
    return out;
  }

  async advance(ticker: string, strategy: string, value: StoredStrategyState): Promise<boolean> {
    const written = await (
      this.redis as Redis & { algoAdvanceState(...args: string[]): Promise<number> }
    ).algoAdvanceState(
      this.key(ticker, strategy),
      value.fingerprint,
      value.state.lastDate,
      JSON.stringify(value.state),
    );
    return written === 1;
  }

  async forget(keys: ReadonlyArray<StrategyPair>): Promise<number> {
    if (keys.length === 0) return 0;
    return this.redis.del(...keys.map((k) => this.key(k.ticker, k.strategy)));
  }

  async clear(): Promise<number> {
    return this.removeMatching(`${this.prefix}state:*`);
  }

  async clearTicker(ticker: string): Promise<number> {
    // Escaped: MATCH reads * ? [ ] and a backslash as pattern syntax.
    return this.removeMatching(`${this.prefix}state:${ticker.replace(/[*?[\]\\]/g, '\\$&')}:*`);
  }

  private async removeMatching(pattern: string): Promise<number> {
    let removed = 0;
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      if (keys.length) removed += await this.redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    return removed;
  }
}
