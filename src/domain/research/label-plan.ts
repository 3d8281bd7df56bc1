import { BadInputError } from '../errors';
import { getStrategy } from '../strategies/registry';
import type { AnyStrategy, StrategyParams } from '../strategies/strategy';
import { strategyOfLabel } from '../subscriptions';

/** Where a label's parameters come from. */
export type PlanSource = 'config' | 'recommendation' | 'defaults' | 'request';

/** The strategy and parameters behind a stored label (`sma_cross`, `recommended:sma_cross`). */
export interface LabelPlan {
  label: string;
  strategy: AnyStrategy;
  params: StrategyParams;
  source: PlanSource;
}

/**
 * Signals are stored under a label without their parameters: a configured
 * strategy ran with the ticker's configured parameters, a `recommended:<name>`
 * label with the ticker's current recommendation's (when it is still that
 * strategy), anything else with the defaults. `requested` parameters (a
 * research chart of other parameters) win over all of them.
 * Throws BadInputError for an unknown strategy or bad parameters.
 */
export function planForLabel(input: {
  label: string;
  configured: ReadonlyArray<{ name: string; params?: StrategyParams }>;
  recommendation: { strategy: string | null; params: StrategyParams | null } | null;
  requested?: Readonly<Record<string, unknown>>;
}): LabelPlan {
  const { label } = input;
  const { strategy: name, recommended } = strategyOfLabel(label);
  if (!name) throw new BadInputError(`strategy label ${JSON.stringify(label)} names no strategy`);
  const strategy = getStrategy(name);
  if (input.requested && Object.keys(input.requested).length > 0) {
    return { label, strategy, params: strategy.parseParams(input.requested), source: 'request' };
  }
  if (recommended) {
    const r = input.recommendation;
    if (r?.strategy === name && r.params)
      return { label, strategy, params: strategy.parseParams(r.params), source: 'recommendation' };
    return { label, strategy, params: strategy.parseParams(), source: 'defaults' };
  }
  const plan = input.configured.find((p) => p.name === name);
  if (plan) return { label, strategy, params: strategy.parseParams(plan.params ?? {}), source: 'config' };
  return { label, strategy, params: strategy.parseParams(), source: 'defaults' };
}

/**
 * `fast=10,slow=30` (the CLI's form) as raw parameters; empty for an empty
 * string. Throws BadInputError for a malformed pair.
 */
export function parseParamList(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!text?.trim()) return out;
  for (const pair of text.split(',')) {
    const m = /^\s*([A-Za-z][A-Za-z0-9_]*)\s*=\s*(-?[0-9]+(?:\.[0-9]+)?)\s*$/.exec(pair);
    if (!m)
      throw new BadInputError(
        `params: expected name=number pairs separated by commas (e.g. fast=10,slow=30), got ${JSON.stringify(pair.slice(0, 40))}`,
      );
    out[m[1]] = m[2];
  }
  return out;
}
