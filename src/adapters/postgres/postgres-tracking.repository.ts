import type { Kysely } from 'kysely';
import { planLabel, type StrategyPlan } from '../../domain/strategies';
import { configuredStrategies } from '../../domain/strategies/configured-strategies';
import type { AppConfig } from '../../config/config';
import { RECOMMENDED_STRATEGY, recommendedLabel } from '../../domain/subscriptions';
import type { Database } from './database';

/**
 * What the daily job covers: the configured tickers and strategies plus
 * the tickers added by `POST /tickers` or `algo tickers add`, plus everything
 * confirmed subscribers follow. Subscribing to an untracked ticker is enough
 * to have the next run ingest it.
 */
export class PostgresTrackingRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly config: Pick<AppConfig, 'tickers' | 'strategies'>,
  ) {}

  private subscribed() {
    return this.db
      .selectFrom('subscriptions')
      .innerJoin('subscribers', 'subscribers.id', 'subscriptions.subscriber_id')
      .where('subscribers.status', '=', 'confirmed');
  }

  /**
   * Configured tickers, those added by the API or the CLI, and every ticker a
   * confirmed subscriber follows but a pending one (no provider has confirmed
   * it yet: see migration 0040), sorted.
   */
  async trackedTickers(): Promise<string[]> {
    const [subscribed, added] = await Promise.all([
      this.subscribed()
        .select('subscriptions.ticker')
        .distinct()
        .where('subscriptions.ticker', 'not in', this.db.selectFrom('pending_tickers').select('ticker'))
        .execute(),
      this.db.selectFrom('tracked_tickers').select('ticker').execute(),
    ]);
    return [
      ...new Set([...this.config.tickers, ...added.map((r) => r.ticker), ...subscribed.map((r) => r.ticker)]),
    ].sort();
  }

  /**
   * Per ticker: the configured strategies, plus those subscribed with their
   * default parameters, plus, for a `recommended` subscription, the ticker's
   * current recommendation with its parameters, under its own label
   * (`recommended:sma_cross`; deliveries map `recommended` to it), so that
   * it never shares signals or state with the same strategy run by config
   * with other parameters. A ticker with no current recommendation adds nothing.
   */
  async strategyPlans(tickers: readonly string[]): Promise<Map<string, StrategyPlan[]>> {
    const plans = new Map<string, StrategyPlan[]>();
    for (const ticker of tickers) plans.set(ticker, configuredStrategies(this.config.strategies, ticker));
    if (tickers.length === 0) return plans;
    const rows = await this.subscribed()
      .leftJoin('recommendations', (join) =>
        join
          .onRef('recommendations.ticker', '=', 'subscriptions.ticker')
          .on('recommendations.current', '=', true)
          .on('subscriptions.strategy', '=', RECOMMENDED_STRATEGY),
      )
      .select([
        'subscriptions.ticker',
        'subscriptions.strategy',
        'recommendations.strategy as recommended',
        'recommendations.params as recommendedParams',
      ])
      .distinct()
      .where('subscriptions.ticker', 'in', [...tickers])
      .orderBy('subscriptions.ticker')
      .orderBy('subscriptions.strategy')
      .execute();
    for (const { ticker, strategy, recommended, recommendedParams } of rows) {
      const list = plans.get(ticker)!;
      if (strategy !== RECOMMENDED_STRATEGY) {
        if (!list.some((p) => planLabel(p) === strategy)) list.push({ name: strategy });
      } else if (recommended) {
        list.push({ name: recommended, params: recommendedParams ?? {}, label: recommendedLabel(recommended) });
      }
    }
    return plans;
  }
}
