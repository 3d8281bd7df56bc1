import type { IsoDate } from '../dates';
import { ConflictError } from '../errors';
import type { PriceRepository, SignalRepository } from '../ports';
import { getStrategy, runStrategy, type StrategyPlan } from '../strategies';

/** A signal an old client reports (`POST /notification/{ticker}/send` with `signal`, `strategy`, `date`; `algo notify --signal`). */
export interface ReportedSignal {
  ticker: string;
  date: IsoDate;
  /** Our strategy name (old names already mapped). */
  strategy: string;
  signal: 'BUY' | 'SELL';
}

/**
 * Make sure the reported signal is the one our rules give, so that nobody is
 * emailed a signal the system would not send: the recorded signal of that
 * (date, ticker, strategy) when there is one, else the strategy replayed over
 * the stored bars up to that date (then recorded, as the daily run of that
 * date would have). A different signal, or no stored bar of that date, is a
 * {@link ConflictError} that says so (the API's 409). Returns true when it recorded the signal now.
 */
export async function confirmReportedSignal(
  deps: { signals: Pick<SignalRepository, 'list' | 'record'>; prices?: Pick<PriceRepository, 'bars'> },
  plans: readonly StrategyPlan[],
  reported: ReportedSignal,
): Promise<boolean> {
  const { ticker, date, strategy, signal } = reported;
  const definition = getStrategy(strategy);
  const [recorded] = await deps.signals.list({ ticker, date, strategy });
  if (recorded) {
    if (recorded.signal !== signal) {
      throw new ConflictError(
        `${strategy} gave ${recorded.signal} for ${ticker} on ${date}, not ${signal}; nothing was sent`,
      );
    }
    return false;
  }
  const bars = deps.prices ? await deps.prices.bars(ticker, { to: date }) : [];
  if (bars.length === 0 || bars[bars.length - 1].date !== date) {
    throw new ConflictError(
      `no stored price of ${ticker} on ${date}; the daily run of that date ingests it (POST /tickers to track it)`,
    );
  }
  const params = plans.find((p) => p.name === strategy && p.label === undefined)?.params ?? {};
  const record = runStrategy(definition, params, bars).records.find((r) => r.date === date);
  if (!record || record.signal !== signal) {
    throw new ConflictError(
      `${strategy} gives ${record?.signal ?? 'no signal'} for ${ticker} on ${date}, not ${signal}; nothing was sent`,
    );
  }
  const close = bars[bars.length - 1].close;
  await deps.signals.record(
    [
      {
        date,
        ticker,
        strategy,
        strategyVersion: definition.version,
        signal: record.signal,
        close,
        inputs: record.inputs,
      },
    ],
    date,
  );
  return true;
}
