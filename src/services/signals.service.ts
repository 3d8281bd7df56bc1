import type { IsoDate } from '../domain/dates';
import type { SignalFilter, SignalRecord, SignalRepository } from '../domain/ports';
import { getStrategy } from '../domain/strategies/registry';
import { RECOMMENDED_STRATEGY } from '../domain/subscriptions';

/** What a listing of recorded signals may filter on. */
export type SignalQuery = Pick<SignalFilter, 'date' | 'from' | 'to' | 'ticker' | 'strategy'>;

/** The key a page of signals continues after: a signal's primary key. */
export interface SignalKey {
  date: IsoDate;
  ticker: string;
  strategy: string;
}

/** Recorded signals with the numbers behind them (`GET /signals`, `algo signals`). */
export class SignalsService {
  constructor(private readonly deps: { signals: Pick<SignalRepository, 'list'> }) {}

  /**
   * Signals ascending by date, then ticker and strategy; with `page`, at most
   * `limit` after `after` and the key to continue from (null on the last page).
   * A strategy filter names a registered strategy or `recommended` (BadInputError otherwise).
   */
  async list(
    query: SignalQuery,
    page?: { limit: number; after?: SignalKey },
  ): Promise<{ items: SignalRecord[]; next: SignalKey | null }> {
    if (query.strategy !== undefined && query.strategy !== RECOMMENDED_STRATEGY) getStrategy(query.strategy);
    if (!page) return { items: await this.deps.signals.list(query), next: null };
    // One row more than the page tells whether there is a next page.
    const rows = await this.deps.signals.list({ ...query, after: page.after, limit: page.limit + 1 });
    const items = rows.slice(0, page.limit);
    const last = items[items.length - 1];
    const next =
      rows.length > page.limit && last ? { date: last.date, ticker: last.ticker, strategy: last.strategy } : null;
    return { items, next };
  }
}
