import type { IsoDate } from './dates';

/** A value as a source wrote it: a number, a string still to parse, or missing. */
export type RawValue = number | string | null | undefined;

/**
 * One daily row as a market-data provider returned it, before validation.
 * `line` locates it in its source (a CSV line number) for error messages.
 */
export interface RawPriceRow {
  date: string;
  open: RawValue;
  high: RawValue;
  low: RawValue;
  close: RawValue;
  /** Missing means "same as close" (sources without adjustment). */
  adjClose?: RawValue;
  volume: RawValue;
  /** Cash dividend paid that day (Alpha Vantage's `dividend_amount`); missing means none. */
  dividend?: RawValue;
  /** Split factor of that day (`split_coefficient`, 2 = 2-for-1); missing means 1. */
  splitCoefficient?: RawValue;
  /** The ticker the row itself names (the S&P files' `Name` column); missing means the file's ticker. */
  symbol?: RawValue;
  line?: number;
}

/** A validated daily bar. */
export interface Bar {
  date: IsoDate;
  open: number;
  high: number;
  low: number;
  close: number;
  adjClose: number;
  volume: number;
  /**
   * Set only on a bar back-adjusted for later splits (see adjustForSplits):
   * the close as traded that day, and the product of the later split factors
   * that open/high/low/close were divided (volume multiplied) by.
   */
  rawClose?: number;
  splitFactor?: number;
}

/** Indicator columns stored with every bar; `null` until the window is full. */
export interface Indicators {
  sma7: number | null;
  sma21: number | null;
  sma50: number | null;
  sma100: number | null;
  sma200: number | null;
  ema12: number | null;
  ema26: number | null;
  /** EMA12 - EMA26. */
  macd: number | null;
  /** 9-day EMA of the MACD line. */
  macdSignal: number | null;
}

export type EnrichedBar = Bar & Indicators;

/** A source row that was not accepted, with why. */
export interface RejectedRow {
  /** The date as the source wrote it (it may not be a valid date). */
  date: string;
  reason: string;
  /** The row as read, for the record. */
  raw: RawPriceRow;
}
