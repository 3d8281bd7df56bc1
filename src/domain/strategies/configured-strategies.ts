import type { StrategyPlan } from './strategy-plan';

/** The `strategies` section of the configuration: a default list and per-ticker overrides. */
export interface StrategiesConfig {
  default: readonly StrategyPlan[];
  perTicker: Readonly<Record<string, readonly StrategyPlan[]>>;
}

/** The strategies a ticker runs by configuration: its own list, else the default. */
export function configuredStrategies(config: StrategiesConfig, ticker: string): StrategyPlan[] {
  return [...(config.perTicker[ticker] ?? config.default)];
}

/** The names of the strategies a ticker runs by configuration. */
export function configuredStrategyNames(config: StrategiesConfig, ticker: string): string[] {
  return configuredStrategies(config, ticker).map((plan) => plan.name);
}
