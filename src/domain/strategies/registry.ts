import { BadInputError } from '../errors';
import { bollingerReversion } from './bollinger-reversion.strategy';
import { buyAndHold } from './buy-and-hold.strategy';
import { donchianBreakout } from './donchian-breakout.strategy';
import { macdCross } from './macd-cross.strategy';
import { rsiReversion } from './rsi-reversion.strategy';
import { smaCross } from './sma-cross.strategy';
import type { AnyStrategy, StrategyParams } from './strategy';

const BUILT_IN: readonly AnyStrategy[] = [
  smaCross,
  macdCross,
  rsiReversion,
  bollingerReversion,
  donchianBreakout,
  buyAndHold,
] as unknown as AnyStrategy[];

const registry = new Map<string, AnyStrategy>(BUILT_IN.map((s) => [s.name, s]));
/** Names of the strategies that came from saved rules (the others are built-ins or registered at start). */
const savedNames = new Set<string>();

/** Where a registered strategy comes from: code, the config (or a plugin) loaded at start, or a rule saved over the API. */
export type StrategyOrigin = 'built-in' | 'configured' | 'saved';

/** Every strategy by name: the built-ins, then those registered at start (rule strategies from the config). */
export const strategyRegistry: ReadonlyMap<string, AnyStrategy> = registry;

/**
 * Adds strategies to the registry (the composition roots do it at start, from
 * the config). A name already taken by a built-in, by another of `strategies`
 * or by a different earlier registration is refused; registering the same
 * definition again (same name and version) is a no-op, so a second start in one process is harmless.
 */
export function registerStrategies(strategies: readonly AnyStrategy[]): void {
  const names = new Set<string>();
  for (const strategy of strategies) {
    const existing = registry.get(strategy.name);
    const builtIn = BUILT_IN.some((s) => s.name === strategy.name);
    if (names.has(strategy.name) || builtIn || (existing && existing.version !== strategy.version)) {
      throw new BadInputError(`strategy name ${JSON.stringify(strategy.name)} is already taken`);
    }
    names.add(strategy.name);
  }
  for (const strategy of strategies) if (!registry.has(strategy.name)) registry.set(strategy.name, strategy);
}

/** Where the registered strategy `name` comes from (undefined: not registered). */
export function strategyOrigin(name: string): StrategyOrigin | undefined {
  if (!registry.has(name)) return undefined;
  if (BUILT_IN.some((s) => s.name === name)) return 'built-in';
  return savedNames.has(name) ? 'saved' : 'configured';
}

/**
 * Makes the saved rule strategies of the registry those of `strategies` (all
 * of them, as stored): a new name is added, a new version replaces the old
 * one, a name no longer stored is removed. A saved rule whose name a built-in
 * or a configured strategy took is left out and returned, so that one bad row
 * never stops a worker.
 */
export function syncSavedStrategies(strategies: readonly AnyStrategy[]): { refused: string[] } {
  const refused: string[] = [];
  const keep = new Set<string>();
  for (const strategy of strategies) {
    const origin = strategyOrigin(strategy.name);
    if (origin === 'built-in' || origin === 'configured') {
      refused.push(strategy.name);
      continue;
    }
    keep.add(strategy.name);
    savedNames.add(strategy.name);
    registry.set(strategy.name, strategy);
  }
  for (const name of [...savedNames]) {
    if (keep.has(name)) continue;
    savedNames.delete(name);
    registry.delete(name);
  }
  return { refused };
}

/** The strategy called `name`; BadInputError listing the known ones otherwise. */
export function getStrategy(name: string): AnyStrategy {
  const strategy = strategyRegistry.get(name);
  if (!strategy)
    throw new BadInputError(
      `unknown strategy ${JSON.stringify(name)} (known: ${[...strategyRegistry.keys()].join(', ')})`,
    );
  return strategy;
}

/** What a listing shows of a strategy. */
export interface StrategyInfo {
  name: string;
  version: number;
  description: string;
  defaults: StrategyParams;
}

/** Every strategy, in registry order. */
export function listStrategies(): StrategyInfo[] {
  return [...strategyRegistry.values()].map((s) => ({
    name: s.name,
    version: s.version,
    description: s.description,
    defaults: { ...s.defaults },
  }));
}
