import type { StrategyParams } from './strategy';

/** One strategy to run for a ticker, as configured or subscribed. */
export interface StrategyPlan {
  name: string;
  params?: StrategyParams;
  /** The name its signals and state are stored under (default: `name`; `recommended:<name>` for a recommendation). */
  label?: string;
}

/** The name a plan's signals and state are stored under. */
export const planLabel = (plan: StrategyPlan): string => plan.label ?? plan.name;
