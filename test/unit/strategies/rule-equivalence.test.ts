import fs from 'node:fs';
import { runBacktest } from '../../../src/domain/backtest/engine';
import { parseGrid, sweepSeries, validateGrid } from '../../../src/domain/backtest/sweep';
import { walkForward } from '../../../src/domain/backtest/walk-forward';
import { BarSeries } from '../../../src/domain/strategies/bar-series';
import type { AnyStrategy } from '../../../src/domain/strategies/strategy';
import { getStrategy } from '../../../src/domain/strategies/registry';
import { BUILT_IN_RULES } from '../../../src/domain/strategies/rules/built-in-rules';
import { ruleStrategy } from '../../../src/domain/strategies/rules/rule-strategy';
import { runStrategy } from '../../../src/domain/strategies/state-machine';
import { loadSp500, SP500_DIR } from '../sp500-bars';

/**
 * One engine: each built-in strategy re-expressed as a rule (BUILT_IN_RULES)
 * gives the same signals, the same final state and the same backtest on real
 * S&P 500 tickers. Every 10th ticker here (51 of 505); RULE_EQUIVALENCE_ALL=1
 * checks all 505 (five minutes on the shared two-core machine).
 */
const ALL = fs
  .readdirSync(SP500_DIR)
  .filter((f) => f.endsWith('_data.csv'))
  .map((f) => f.replace(/_data\.csv$/, ''))
  .sort();
const TICKERS = process.env.RULE_EQUIVALENCE_ALL === '1' ? ALL : ALL.filter((_, i) => i % 10 === 0);

const PAIRS = BUILT_IN_RULES.map((raw) => ({
  rule: ruleStrategy(raw),
  builtIn: getStrategy(raw.name.replace(/_rule$/, '')),
}));

/** A second parameter set per built-in, off the stored columns (computed SMAs, EMAs). */
const OTHER_PARAMS: Readonly<Record<string, Record<string, number>>> = {
  sma_cross: { fast: 10, slow: 30, trend: 100 },
  macd_cross: { fast: 8, slow: 21, signal: 5 },
  rsi_reversion: { period: 10, lower: 25, upper: 75 },
  bollinger_reversion: { period: 15, stdDev: 1.5 },
  donchian_breakout: { entry: 55, exit: 20 },
};

/** What must be identical between a built-in and its rule. */
function signature(strategy: AnyStrategy, series: BarSeries, params?: Record<string, number>) {
  const run = runStrategy(strategy, params, series);
  const startDate = series.dates[Math.min(199, series.length - 1)];
  const backtest = runBacktest({ bars: series, strategy, params, startDate });
  // The machine's state; the running averages a built-in carries to read less (rsi_reversion) are its own.
  return JSON.stringify({
    signals: run.records.map((r) => r.signal).join(''),
    state: { ...run.state, carry: undefined },
    backtest: {
      finalCapital: backtest.finalCapital,
      returnPct: backtest.returnPct,
      orders: backtest.orders,
      initialPosition: backtest.initialPosition,
      trades: backtest.trades,
      signals: backtest.signals,
      equity: Array.from(backtest.equity),
    },
  });
}

describe(`built-in strategies re-expressed as rules, on ${TICKERS.length} S&P 500 tickers`, () => {
  it('identical signals, states and backtests, with the defaults and another parameter set', () => {
    expect(ALL.length).toBe(505);
    const differing: string[] = [];
    const orders: Record<string, number> = {};
    for (const ticker of TICKERS) {
      const bars = loadSp500(ticker);
      for (const { builtIn, rule } of PAIRS) {
        for (const params of [undefined, OTHER_PARAMS[builtIn.name]]) {
          // One series per strategy: neither may lean on the other's cached indicators.
          const a = signature(builtIn, BarSeries.from(bars), params);
          const b = signature(rule, BarSeries.from(bars), params);
          orders[builtIn.name] =
            (orders[builtIn.name] ?? 0) + (JSON.parse(a) as { backtest: { orders: number } }).backtest.orders;
          if (a !== b) differing.push(`${ticker} ${builtIn.name} ${JSON.stringify(params ?? 'defaults')}`);
        }
      }
    }
    expect(differing).toEqual([]);
    // Not vacuous: every strategy trades on these tickers.
    for (const { builtIn } of PAIRS) expect(orders[builtIn.name]).toBeGreaterThan(TICKERS.length);
  });
});

describe('a rule strategy in sweeps and walk-forward', () => {
  const bars = loadSp500('MSFT');
  const { builtIn, rule } = PAIRS[0];
  const combos = validateGrid(builtIn, parseGrid('fast=5..15:5,slow=20..40:10,trend=50')).combos;

  it('sweeps to the same rows as the built-in, its grid validated by its own schema', () => {
    expect(validateGrid(rule, parseGrid('fast=5..15:5,slow=20..40:10,trend=50')).combos).toEqual(combos);
    const a = sweepSeries({ bars, strategy: builtIn, combos });
    const b = sweepSeries({ bars, strategy: rule, combos });
    expect(b).toEqual(a);
  });

  it('walks forward to the same evidence as the built-in', () => {
    const a = walkForward({ bars, candidates: [{ strategy: builtIn, combos }] });
    const b = walkForward({ bars, candidates: [{ strategy: rule, combos }] });
    expect(a.windows).toBeGreaterThan(0);
    expect(JSON.stringify(b.candidates.map((c) => ({ ...c, strategy: '' })))).toBe(
      JSON.stringify(a.candidates.map((c) => ({ ...c, strategy: '' }))),
    );
  });
});
