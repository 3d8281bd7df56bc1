import { closureReason, isTradingDay } from '../domain/calendar';
import type { IsoDate } from '../domain/dates';
import type { MarketDataProviderName } from '../domain/market-data';

/** What a daily run uses when its input leaves it out: the worker's configuration. */
export interface DailyRunDefaults {
  provider: MarketDataProviderName;
  /** Failover order (`marketData.providers`); absent: `[provider]`. */
  providers?: MarketDataProviderName[];
  csvDir: string;
  /** Tickers per ingestion and evaluation activity (`ingestion.batchSize`). */
  batchSize: number;
  /** Ingestion batches at once (`ingestion.maxConcurrentBatches`). */
  maxConcurrentBatches: number;
  /** Subscribers per email activity (`mail.batchSize`). */
  emailBatchSize: number;
}

export interface DailyRunDependencies {
  /** The worker's defaults for a run (built from its config by the composition root). */
  runDefaults: DailyRunDefaults;
}

/** Whether `date` is a trading day, and why not. */
export interface TradingDayAnswer {
  tradingDay: boolean;
  closure?: string;
}

/** Activities behind the daily run's decisions that must not be baked into workflow code. */
export function createDailyRunActivities(deps: DailyRunDependencies) {
  return {
    /** The worker's configured provider(s), CSV directory and batch sizes. */
    async runDefaults(): Promise<DailyRunDefaults> {
      return structuredClone(deps.runDefaults);
    },

    /**
     * The NYSE calendar's answer for `date`. An activity, so that a closure
     * added to the calendar later never changes the replay of a run in flight
     * (its answer is in the run's history).
     */
    async tradingDay(input: { date: IsoDate }): Promise<TradingDayAnswer> {
      if (isTradingDay(input.date)) return { tradingDay: true };
      return { tradingDay: false, closure: closureReason(input.date) ?? 'market closed' };
    },
  };
}

export type DailyRunActivities = ReturnType<typeof createDailyRunActivities>;
