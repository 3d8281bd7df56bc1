/**
 * What a strategy plugin imports (README, "Strategy plugins"): a module named
 * under `strategies.modules` exports strategies made with `defineStrategy`.
 * Everything here is pure; `z` is re-exported so that a plugin outside this
 * repository needs no zod of its own.
 */
export { z } from 'zod';
export { defineStrategy, integerParam, numberParam, type StrategySpec } from './define-strategy';
export {
  CROSS_DOWN,
  CROSS_UP,
  type ChartSpec,
  type PreparedStrategy,
  type SignalInputs,
  type Strategy,
  type StrategyParams,
} from './strategy';
export { BarSeries, emaOf, orNull, priorHighest, priorLowest, simpleMovingAverage } from './bar-series';
