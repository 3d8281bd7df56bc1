import type { IsoDate } from '../domain/dates';
import type { PriceRepository, SignalRepository } from '../domain/ports';
import { getStrategy, runStrategy, type StrategyPlan } from '../domain/strategies';
import { HttpError } from './errors';

/** A signal an old client reports (`POST /notification/{ticker}/send` with `signal`, `strategy`, `date`). */
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
 * 409 that says so. Returns true when it recorded the signal now.
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
      throw new HttpError(409, 'conflict', `${strategy} gave ${recorded.signal} for ${ticker} on ${date}, not ${signal}; nothing was sent`);
    }
    return false;
  }
  const bars = deps.prices ? await deps.prices.bars(ticker, { to: date }) : [];
  if (bars.length === 0 || bars[bars.length - 1].date !== date) {
    throw new HttpError(409, 'conflict', `no stored price of ${ticker} on ${date}; the daily run of that date ingests it (POST /tickers to track it)`);
  }
  const params = plans.find((p) => p.name === strategy && p.label === undefined)?.params ?? {};
  const record = runStrategy(definition, params, bars).records.find((r) => r.date === date);
  if (!record || record.signal !== signal) {
    throw new HttpError(409, 'conflict', `${strategy} gives ${record?.signal ?? 'no signal'} for ${ticker} on ${date}, not ${signal}; nothing was sent`);
  }
  const close = bars[bars.length - 1].close;
  await deps.signals.record([{ date, ticker, strategy, strategyVersion: definition.version, signal: record.signal, close, inputs: record.inputs }], date);
  return true;
}
