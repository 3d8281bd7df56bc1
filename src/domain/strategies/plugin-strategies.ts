import { BadInputError } from '../errors';
import type { AnyStrategy } from './strategy';

/** True when `value` has the shape {@link defineStrategy} gives a strategy. */
function isStrategy(value: unknown): value is AnyStrategy {
  if (value === null || typeof value !== 'object') return false;
  const s = value as Record<string, unknown>;
  return (
    typeof s.name === 'string' &&
    typeof s.version === 'number' &&
    typeof s.description === 'string' &&
    typeof s.defaults === 'object' &&
    s.defaults !== null &&
    typeof s.paramsSchema === 'object' &&
    ['parseParams', 'prepare', 'lookback', 'rules', 'chart'].every((key) => typeof s[key] === 'function')
  );
}

/**
 * The strategies a plugin module exports: every export (the default one
 * included; an exported array counts by its items) that is a strategy made
 * with `defineStrategy`, each once. Other exports are ignored; BadInputError
 * when there is no strategy at all.
 */
export function strategiesExportedBy(moduleExports: unknown): AnyStrategy[] {
  if (moduleExports === null || typeof moduleExports !== 'object') {
    throw new BadInputError('exports no strategy (export the results of defineStrategy)');
  }
  const exports = moduleExports as Record<string, unknown>;
  // A CommonJS module imported as an ES module: its `module.exports` is the default export.
  const commonJs = exports.default;
  const values = Object.values(exports);
  if (commonJs && typeof commonJs === 'object' && !Array.isArray(commonJs) && !isStrategy(commonJs)) {
    values.push(...Object.values(commonJs));
  }
  const found = new Set<AnyStrategy>();
  for (const value of values) {
    for (const item of Array.isArray(value) ? value : [value]) if (isStrategy(item)) found.add(item);
  }
  if (found.size === 0) throw new BadInputError('exports no strategy (export the results of defineStrategy)');
  return [...found];
}
