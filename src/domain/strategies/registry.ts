import { BadInputError } from '../errors';
import { bollingerReversion } from './bollinger-reversion.strategy';
import { buyAndHold } from './buy-and-hold.strategy';
import { donchianBreakout } from './donchian-breakout.strategy';
import { macdCross } from './macd-cross.strategy';
import { rsiReversion } from './rsi-reversion.strategy';
import { smaCross } from './sma-cross.strategy';
import type { AnyStrategy, StrategyParams } from './strategy';

/** Every strategy by name. */
export const strategyRegistry: ReadonlyMap<string, AnyStrategy> = new Map<string, AnyStrategy>(
  [smaCross, macdCross, rsiReversion, bollingerReversion, donchianBreakout, buyAndHold].map((s) => [
    s.name,
    s as unknown as AnyStrategy,
  ]),
);

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
