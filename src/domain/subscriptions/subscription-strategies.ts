import { BadInputError } from '../errors';
import { RECOMMENDED_STRATEGY } from './subscription.types';

/**
 * Check strategy names against the registered ones (plus
 * {@link RECOMMENDED_STRATEGY}); throws {@link BadInputError} listing the
 * known names. Returns them de-duplicated in the given order.
 */
export function validateStrategyNames(names: readonly string[], known: readonly string[]): string[] {
  const allowed = new Set([...known, RECOMMENDED_STRATEGY]);
  const unknown = names.filter((n) => !allowed.has(n));
  if (unknown.length > 0) {
    throw new BadInputError(
      `unknown strategy ${unknown.map((n) => JSON.stringify(n.slice(0, 40))).join(', ')} (known: ${[...allowed].join(', ')})`,
    );
  }
  return [...new Set(names)];
}
