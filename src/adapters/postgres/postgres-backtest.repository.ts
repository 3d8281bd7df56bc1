import type { Kysely } from 'kysely';
import type { BacktestRecord } from '../../domain/backtest/backtest-record';
import type { BacktestRepository } from '../../domain/ports';
import type { BacktestOptions, BacktestTrade } from '../../domain/backtest/backtest.types';
import { upgradeStoredMetrics, type BacktestMetrics } from '../../domain/backtest/metrics';
import type { IsoDate } from '../../domain/dates';
import type { Database } from './database';
import { storedRangeOf } from './bar-queries';

/** Backtest results in Postgres: a `backtests` row (metrics and equity curve as JSONB) and its `backtest_trades`. */
export class PostgresBacktestRepository implements BacktestRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async save(r: BacktestRecord): Promise<void> {
    const row = {
      id: r.id,
      ticker: r.ticker,
      strategy: r.strategy,
      strategy_version: r.strategyVersion,
      params: JSON.stringify(r.params),
      options: JSON.stringify(r.options),
      start_date: r.startDate,
      end_date: r.endDate,
      initial_capital: r.initialCapital,
      final_capital: r.finalCapital,
      return_pct: r.returnPct,
      // The column keeps its name: it always counted orders (BUY and SELL fills).
      num_trades: r.orders,
      fees: r.fees,
      initial_position: r.initialPosition ? JSON.stringify(r.initialPosition) : null,
      metrics: JSON.stringify(r.metrics),
      equity_curve: JSON.stringify(r.equityCurve),
      report_key: r.reportKey,
      chart_key: r.chartKey,
      report_url: r.reportUrl,
      rule: r.rule === undefined ? null : JSON.stringify(r.rule),
    };
    // One transaction, replacing a previous attempt's row and trades: a retried activity leaves one copy.
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('backtests').where('id', '=', r.id).execute();
      await trx.insertInto('backtests').values(row).execute();
      if (r.trades.length > 0) {
        await trx
          .insertInto('backtest_trades')
          .values(
            r.trades.map((t, seq) => ({
              backtest_id: r.id,
              seq,
              date: t.date,
              side: t.side,
              price: t.price,
              shares: t.shares,
              fee: t.fee,
              signal_date: t.signalDate,
            })),
          )
          .execute();
      }
    });
  }

  async get(id: string, options: { withEquityCurve?: boolean } = {}): Promise<BacktestRecord | null> {
    const row = await this.db
      .selectFrom('backtests')
      .select([
        'id',
        'ticker',
        'strategy',
        'strategy_version',
        'params',
        'options',
        'start_date',
        'end_date',
        'initial_capital',
        'final_capital',
        'return_pct',
        'num_trades',
        'fees',
        'initial_position',
        'metrics',
        'report_key',
        'chart_key',
        'report_url',
        'created_at',
        'rule',
      ])
      .$if(options.withEquityCurve === true, (q) => q.select('equity_curve'))
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) return null;
    const trades = await this.db
      .selectFrom('backtest_trades')
      .selectAll()
      .where('backtest_id', '=', id)
      .orderBy('seq')
      .execute();
    const curve = (row as { equity_curve?: BacktestRecord['equityCurve'] }).equity_curve;
    return {
      id: row.id,
      ticker: row.ticker,
      strategy: row.strategy,
      strategyVersion: row.strategy_version,
      params: row.params,
      options: row.options as Required<BacktestOptions>,
      startDate: row.start_date,
      endDate: row.end_date,
      initialCapital: row.initial_capital,
      finalCapital: row.final_capital,
      returnPct: row.return_pct,
      orders: row.num_trades,
      fees: row.fees,
      initialPosition: row.initial_position as BacktestTrade | null,
      trades: trades.map((t) => ({
        date: t.date,
        side: t.side,
        price: t.price,
        shares: t.shares,
        fee: t.fee,
        signalDate: t.signal_date,
      })),
      metrics: upgradeStoredMetrics(row.metrics as unknown as BacktestMetrics),
      equityCurve: curve ?? { dates: [], equity: [], shares: [], close: [] },
      reportKey: row.report_key,
      chartKey: row.chart_key,
      reportUrl: row.report_url,
      createdAt: row.created_at.toISOString(),
      ...(row.rule === null ? {} : { rule: row.rule }),
    };
  }

  storedRange(ticker: string): Promise<{ first: IsoDate; last: IsoDate } | null> {
    return storedRangeOf(this.db, ticker);
  }
}
