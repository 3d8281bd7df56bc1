import type { IsoDate } from '../dates';
import { ConflictError } from '../errors';
import type { PriceRepository, SignalRecord, SignalRepository } from '../ports';
import { getStrategy, runStrategy, type StrategyPlan } from '../strategies';
import type { Signal } from '../strategies/strategy';

/** A signal an old client reports (`POST /notification/{ticker}/send` with `signal`, `strategy`, `date`; `algo notify --signal`). */
export interface ReportedSignal {
  ticker: string;
  date: IsoDate;
  /** Our strategy name (old names already mapped). */
  strategy: string;
  signal: 'BUY' | 'SELL';
}

type ReportedSignalDeps = {
  signals: Pick<SignalRepository, 'list' | 'record'>;
  prices?: Pick<PriceRepository, 'bars'>;
};

/**
 * What our rules give for (ticker, strategy) on `date`, replayed over the
 * stored bars up to that date with the configured parameters; null without a
 * stored bar of that date.
 */
export async function ourSignalOn(
  deps: Pick<ReportedSignalDeps, 'prices'>,
  plans: readonly StrategyPlan[],
  key: { ticker: string; date: IsoDate; strategy: string },
): Promise<SignalRecord | null> {
  const { ticker, date, strategy } = key;
  const definition = getStrategy(strategy);
  const bars = deps.prices ? await deps.prices.bars(ticker, { to: date }) : [];
  if (bars.length === 0 || bars[bars.length - 1].date !== date) return null;
  const params = plans.find((p) => p.name === strategy && p.label === undefined)?.params ?? {};
  const record = runStrategy(definition, params, bars).records.find((r) => r.date === date);
  if (!record) return null;
  return {
    date,
    ticker,
    strategy,
    strategyVersion: definition.version,
    signal: record.signal,
    close: bars[bars.length - 1].close,
    inputs: record.inputs,
  };
}

/**
 * The checked mode: make sure the reported signal is the one our rules give,
 * so that nobody is emailed a signal the system would not send: the recorded
 * signal of that (date, ticker, strategy) when there is one, else the
 * strategy replayed over the stored bars up to that date (then recorded, as
 * the daily run of that date would have). A different signal, or no stored
 * bar of that date, is a {@link ConflictError} that says so (the API's 409).
 * Returns true when it recorded the signal now.
 */
export async function confirmReportedSignal(
  deps: ReportedSignalDeps,
  plans: readonly StrategyPlan[],
  reported: ReportedSignal,
): Promise<boolean> {
  const { ticker, date, strategy, signal } = reported;
  const [recorded] = await deps.signals.list({ ticker, date, strategy });
  if (recorded) {
    if (recorded.signal !== signal) {
      throw new ConflictError(
        `${strategy} gave ${recorded.signal} for ${ticker} on ${date}, not ${signal}; nothing was sent`,
      );
    }
    return false;
  }
  const ours = await ourSignalOn(deps, plans, reported);
  if (!ours) {
    throw new ConflictError(
      `no stored price of ${ticker} on ${date}; the daily run of that date ingests it (POST /tickers to track it)`,
    );
  }
  if (ours.signal !== signal) {
    throw new ConflictError(
      `${strategy} gives ${ours.signal} for ${ticker} on ${date}, not ${signal}; nothing was sent`,
    );
  }
  await deps.signals.record([ours], date);
  return true;
}

/** What {@link recordReportedSignal} did: whether it recorded the signal now, and what our rules give (null without the bar). */
export interface ReportedSignalOutcome {
  recorded: boolean;
  ours: Signal | null;
}

/**
 * The old clients' mode: the old strategy service's word is taken. The
 * reported signal is recorded as reported (`reportedBy`), with our numbers
 * when we have the bar of its date, and so emailed once to the ticker's
 * subscribers, whatever our rules give (the signal page says both). Only a
 * different signal already recorded for that (date, ticker, strategy) is a
 * {@link ConflictError}: one signal per day and strategy reaches a subscriber.
 * With `dryRun`, nothing is recorded.
 */
export async function recordReportedSignal(
  deps: ReportedSignalDeps,
  plans: readonly StrategyPlan[],
  reported: ReportedSignal & { reportedBy: string },
  options: { dryRun?: boolean } = {},
): Promise<ReportedSignalOutcome> {
  const { ticker, date, strategy, signal } = reported;
  const [recorded] = await deps.signals.list({ ticker, date, strategy });
  if (recorded && recorded.signal !== signal) {
    throw new ConflictError(
      `${strategy} recorded ${recorded.signal} for ${ticker} on ${date}, not ${signal}; nothing was sent`,
    );
  }
  const ours = await ourSignalOn(deps, plans, reported);
  if (recorded || options.dryRun) return { recorded: false, ours: ours?.signal ?? null };
  await deps.signals.record(
    [
      {
        date,
        ticker,
        strategy,
        strategyVersion: ours?.strategyVersion ?? getStrategy(strategy).version,
        signal,
        close: ours?.close ?? null,
        inputs: ours?.inputs ?? {},
        reportedBy: reported.reportedBy,
      },
    ],
    date,
  );
  return { recorded: true, ours: ours?.signal ?? null };
}
