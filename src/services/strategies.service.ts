import { BadInputError } from '../domain/errors';
import type { PriceRepository } from '../domain/ports';
import { checkLookAhead, type LookAheadReport } from '../domain/strategies/look-ahead';
import { getStrategy } from '../domain/strategies/registry';
import type { RawStrategyParams } from '../domain/strategies/strategy';

/** Most bars of a ticker the look-ahead check reads (it prepares the strategy once per day: quadratic). */
export const MAX_CHECK_BARS = 2000;

export interface StrategiesServiceDeps {
  prices: Pick<PriceRepository, 'bars'>;
  /** The configured tickers, checked when none are given. */
  defaultTickers: readonly string[];
}

/** One ticker of a check: its report, or why it was not checked. */
export type TickerCheck =
  | { ticker: string; status: 'ok' | 'failed'; report: LookAheadReport }
  | { ticker: string; status: 'skipped'; reason: string };

/** What {@link StrategiesService.check} returns: a result per ticker. */
export interface StrategyCheckResult {
  strategy: string;
  version: number;
  tickers: TickerCheck[];
  /** Every checked ticker passed (no look-ahead, a sufficient lookback). */
  ok: boolean;
}

/** Checks on strategies (built-in or configured rules), for the CLI and, later, the API. */
export class StrategiesService {
  constructor(private readonly deps: StrategiesServiceDeps) {}

  /**
   * The no-look-ahead proof of `strategy` on the stored bars of each ticker
   * (the last `bars`, default 500): see {@link checkLookAhead}.
   */
  async check(input: {
    strategy: string;
    params?: RawStrategyParams;
    tickers?: readonly string[];
    bars?: number;
  }): Promise<StrategyCheckResult> {
    const strategy = getStrategy(input.strategy);
    strategy.parseParams(input.params);
    const count = input.bars ?? 500;
    if (!Number.isInteger(count) || count < 2 || count > MAX_CHECK_BARS) {
      throw new BadInputError(`bars must be a whole number from 2 to ${MAX_CHECK_BARS} (got ${count})`, {
        field: 'bars',
      });
    }
    const tickers = input.tickers ?? this.deps.defaultTickers;
    const results: TickerCheck[] = [];
    for (const ticker of tickers) {
      const bars = (await this.deps.prices.bars(ticker)).slice(-count);
      if (bars.length < 2) {
        results.push({ ticker, status: 'skipped', reason: `${bars.length} stored bars (ingest it first)` });
        continue;
      }
      const report = checkLookAhead(strategy, input.params, bars);
      results.push({ ticker, status: report.ok ? 'ok' : 'failed', report });
    }
    return {
      strategy: strategy.name,
      version: strategy.version,
      tickers: results,
      ok: results.every((r) => r.status !== 'failed'),
    };
  }
}
