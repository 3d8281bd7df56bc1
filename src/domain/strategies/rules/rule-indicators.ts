import { priorHighest, priorLowest, rollingStdDev, wilderRsi, type BarSeries } from '../bar-series';
import type { Expr, Scalar } from './rule-ast';
import { printExpr } from './rule-parser';

/** A scalar's value with these parameters. */
export function scalarValue(s: Scalar, params: Readonly<Record<string, number>>): number {
  return s.kind === 'const' ? s.value : params[s.name];
}

/**
 * The values of an operand on every day of `series` (`NaN` where undefined),
 * computed once per series: the caches are the same ones the built-in
 * strategies use (`series.sma`, `rsi:14`, `priorHigh:20` ...), so a rule
 * strategy and a built-in share them in a sweep.
 */
export function operandValues(series: BarSeries, expr: Expr, params: Readonly<Record<string, number>>): Float64Array {
  switch (expr.kind) {
    case 'const':
    case 'param': {
      const value = scalarValue(expr, params);
      return series.memo(`rule:const:${value}`, () => new Float64Array(series.length).fill(value));
    }
    case 'price':
      return expr.field === 'volume' ? series.volume() : series[expr.field];
  }
  const [a, b, c] = expr.args.map((s) => scalarValue(s, params));
  switch (expr.name) {
    case 'sma':
      return series.sma(a);
    case 'ema':
      return series.ema(a);
    case 'rsi':
      return series.memo(`rsi:${a}`, () => wilderRsi(series.close, a));
    case 'macd': {
      const { macd, signal } = series.macd(a, b, c);
      if (expr.output === 'line') return macd;
      if (expr.output === 'signal') return signal;
      return series.memo(`macdHist:${a}:${b}:${c}`, () => macd.map((m, i) => m - signal[i]));
    }
    case 'bollinger': {
      const middle = series.sma(a);
      if (expr.output === 'middle') return middle;
      const deviation = series.memo(`stddev:${a}`, () => rollingStdDev(series.close, middle, a));
      const sign = expr.output === 'upper' ? 1 : -1;
      // middle ± k·σ, written as the built-in bollinger_reversion writes it (the same doubles).
      return series.memo(`rule:bollinger:${a}:${b}:${expr.output}`, () =>
        middle.map((m, i) => (sign > 0 ? m + b * deviation[i] : m - b * deviation[i])),
      );
    }
    case 'donchian':
      return expr.output === 'upper'
        ? series.memo(`priorHigh:${a}`, () => priorHighest(series.high, a))
        : series.memo(`priorLow:${a}`, () => priorLowest(series.low, a));
    case 'atr':
      return series.memo(`atr:${a}`, () => wilderAtr(series, a));
    case 'roc':
      return series.memo(`roc:${a}`, () => rateOfChange(series.close, a));
    case 'highest':
    case 'lowest': {
      const source = operandValues(series, expr.source as Expr, params);
      const key = `rule:${printExpr(expr, params)}`;
      return series.memo(key, () => rollingExtreme(source, a, expr.name === 'highest'));
    }
  }
}

/**
 * Highest (or lowest) of `values` over the `period` entries ending at each
 * index, today included; NaN until `period` values, or when the window holds a NaN.
 */
export function rollingExtreme(values: Float64Array, period: number, highest: boolean): Float64Array {
  const n = values.length;
  const out = new Float64Array(n).fill(NaN);
  for (let i = period - 1; i < n; i++) {
    let best = highest ? -Infinity : Infinity;
    for (let k = i - period + 1; k <= i; k++) {
      const v = values[k];
      if (v !== v) {
        best = NaN;
        break;
      }
      if (highest ? v > best : v < best) best = v;
    }
    out[i] = best;
  }
  return out;
}

/** Percentage change of the close over `period` days: 100 · (close − close[i−period]) / close[i−period]. */
export function rateOfChange(close: Float64Array, period: number): Float64Array {
  const out = new Float64Array(close.length).fill(NaN);
  for (let i = period; i < close.length; i++) out[i] = ((close[i] - close[i - period]) / close[i - period]) * 100;
  return out;
}

/**
 * Wilder's average true range: true range = max(high − low, |high − close[i−1]|,
 * |low − close[i−1]|) from the second bar; the first ATR is the mean of the first
 * `period` true ranges, then `atr = (atr · (period − 1) + tr) / period`.
 */
export function wilderAtr(series: BarSeries, period: number): Float64Array {
  const { high, low, close, length: n } = series;
  const out = new Float64Array(n).fill(NaN);
  let atr = 0;
  for (let i = 1; i < n; i++) {
    const tr = Math.max(high[i] - low[i], Math.abs(high[i] - close[i - 1]), Math.abs(low[i] - close[i - 1]));
    if (i < period) atr += tr;
    else if (i === period) atr = (atr + tr) / period;
    else atr = (atr * (period - 1) + tr) / period;
    if (i >= period) out[i] = atr;
  }
  return out;
}
