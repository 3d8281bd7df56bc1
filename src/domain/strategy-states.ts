import type { IsoDate } from './dates';
import {
  stateKey,
  type PriceRepository,
  type StrategyPair,
  type SignalRepository,
  type StrategyStateStore,
} from './ports';
import {
  BarSeries,
  getStrategy,
  planLabel,
  runStrategy,
  type AnyStrategy,
  type StrategyParams,
  type StrategyPlan,
} from './strategies';

/**
 * Strategy states rebuilt from the system of record: the daily run's
 * re-adjustment (an activity) and `algo state rebuild` (a service) call the
 * same functions over the same ports.
 */
export interface StrategyStatePorts {
  prices: Pick<PriceRepository, 'bars'>;
  signals: Pick<SignalRepository, 'lastSignalDates'>;
  states: Pick<StrategyStateStore, 'clear' | 'clearTicker' | 'advance'>;
  /** The strategies to run per ticker: the configured ones plus every subscribed one. */
  strategyPlans(tickers: readonly string[]): Promise<Map<string, StrategyPlan[]>>;
}

/** Identifies the rules and parameters a state was computed with; another fingerprint means rebuild. */
export function strategyFingerprint(strategy: AnyStrategy, params: StrategyParams): string {
  const sorted = Object.keys(params)
    .sort()
    .map((k) => [k, params[k]]);
  return `${strategy.name}@v${strategy.version}:${JSON.stringify(sorted)}`;
}

/**
 * Recompute every strategy state from Postgres (Redis holds nothing that
 * cannot be rebuilt): each (ticker, strategy) with recorded signals is
 * replayed from its stored history up to its last recorded signal date.
 */
export async function rebuildStrategyStates(
  deps: StrategyStatePorts,
  tickers: readonly string[],
): Promise<{ cleared: number; rebuilt: number }> {
  const cleared = await deps.states.clear();
  const plans = await deps.strategyPlans(tickers);
  const lastDates = await deps.signals.lastSignalDates(plannedPairs(plans));
  let rebuilt = 0;
  for (const ticker of tickers) rebuilt += await rebuildTickerStates(deps, ticker, plans.get(ticker) ?? [], lastDates);
  return { cleared, rebuilt };
}

/** {@link rebuildStrategyStates} of one ticker: its states forgotten, then replayed over its stored bars. */
export async function rebuildStrategyStatesOf(
  deps: StrategyStatePorts,
  ticker: string,
): Promise<{ cleared: number; rebuilt: number }> {
  const cleared = await deps.states.clearTicker(ticker);
  const plans = await deps.strategyPlans([ticker]);
  const lastDates = await deps.signals.lastSignalDates(plannedPairs(plans));
  return { cleared, rebuilt: await rebuildTickerStates(deps, ticker, plans.get(ticker) ?? [], lastDates) };
}

/** Every (ticker, strategy label) pair the plans name. */
function plannedPairs(plans: ReadonlyMap<string, readonly StrategyPlan[]>): StrategyPair[] {
  return [...plans].flatMap(([ticker, list]) => list.map((plan) => ({ ticker, strategy: planLabel(plan) })));
}

/** Replay each planned strategy of `ticker` that has recorded signals up to its last one; returns how many states were written. */
async function rebuildTickerStates(
  deps: StrategyStatePorts,
  ticker: string,
  planned: readonly StrategyPlan[],
  lastDates: ReadonlyMap<string, IsoDate>,
): Promise<number> {
  const wanted = planned.filter((p) => lastDates.has(stateKey(ticker, planLabel(p))));
  if (wanted.length === 0) return 0;
  const bars = await deps.prices.bars(ticker);
  let rebuilt = 0;
  for (const plan of wanted) {
    const label = planLabel(plan);
    const last = lastDates.get(stateKey(ticker, label))!;
    const upTo = bars.filter((b) => b.date <= last);
    if (upTo.length === 0) continue;
    const strategy = getStrategy(plan.name);
    const params = strategy.parseParams(plan.params);
    const run = runStrategy(strategy, params, BarSeries.from(upTo));
    await deps.states.advance(ticker, label, { fingerprint: strategyFingerprint(strategy, params), state: run.state });
    rebuilt += 1;
  }
  return rebuilt;
}
