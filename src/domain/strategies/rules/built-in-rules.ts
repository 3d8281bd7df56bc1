import type { RawRuleStrategy } from './rule-schema';

/**
 * The five built-in strategies written as rules, with the built-ins' exact
 * comparisons (a unit test and `bench/rule-equivalence.ts` check identical
 * signals and backtests on the S&P 500 files). Named `<built-in>_rule` so that
 * they can be registered beside the built-ins.
 *
 * Where a built-in's event is "reaches or passes" (`>=` today, `<` the day
 * before) rather than a strict cross, the rule says `becomes ... >=`.
 */
export const BUILT_IN_RULES: readonly RawRuleStrategy[] = [
  {
    name: 'sma_cross_rule',
    description: 'sma_cross as a rule: fast SMA crossing the slow SMA, entries only above the trend SMA',
    parameters: {
      fast: { default: 7, min: 1, max: 1000 },
      slow: { default: 21, min: 2, max: 1000 },
      trend: { default: 50, min: 1, max: 1000 },
    },
    constraints: ['fast < slow'],
    entry: { all: ['becomes sma(fast) >= sma(slow)', 'close > sma(trend)'] },
    exit: 'sma(fast) crosses_below sma(slow)',
    start_open: 'sma(fast) > sma(slow)',
    exit_needs_entry: true,
  },
  {
    name: 'macd_cross_rule',
    description: 'macd_cross as a rule: MACD line crossing its signal line',
    parameters: {
      fast: { default: 12, min: 1, max: 1000 },
      slow: { default: 26, min: 2, max: 1000 },
      signal: { default: 9, min: 1, max: 1000 },
    },
    constraints: ['fast < slow'],
    entry: 'macd(fast, slow, signal).line crosses_above macd(fast, slow, signal).signal',
    exit: 'macd(fast, slow, signal).line crosses_below macd(fast, slow, signal).signal',
    start_open: 'macd(fast, slow, signal).line > macd(fast, slow, signal).signal',
  },
  {
    name: 'rsi_reversion_rule',
    description: 'rsi_reversion as a rule: RSI leaving oversold (buy) and overbought (sell)',
    parameters: {
      period: { default: 14, min: 2, max: 500 },
      lower: { default: 30, min: 0, max: 100 },
      upper: { default: 70, min: 0, max: 100 },
    },
    constraints: ['lower < upper'],
    entry: 'becomes rsi(period) >= lower',
    exit: 'becomes rsi(period) <= upper',
  },
  {
    name: 'bollinger_reversion_rule',
    description: 'bollinger_reversion as a rule: close falling below the lower band (buy), rising above the upper',
    parameters: {
      period: { default: 20, min: 2, max: 500 },
      stdDev: { default: 2, min: 0.1, max: 10 },
    },
    entry: 'close crosses_below bollinger(period, stdDev).lower',
    exit: 'close crosses_above bollinger(period, stdDev).upper',
  },
  {
    name: 'donchian_breakout_rule',
    description: 'donchian_breakout as a rule: close above the prior 20-day high, below the prior 10-day low',
    parameters: {
      entry: { default: 20, min: 1, max: 500 },
      exit: { default: 10, min: 1, max: 500 },
    },
    entry: 'close > donchian(entry).upper',
    exit: 'close < donchian(exit).lower',
  },
];
