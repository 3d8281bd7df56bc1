import fs from 'node:fs';
import path from 'node:path';
import { parsePriceCsv } from '../adapters/market-data/csv-market-data.provider';
import type { EnrichedBar } from '../domain/bar';
import { BadInputError } from '../domain/errors';
import { enrichBars } from '../domain/indicators';
import { validatePriceRows } from '../domain/price-validation';
import { checkLookAhead, lookAheadRefusal } from '../domain/strategies/look-ahead';
import { strategiesExportedBy } from '../domain/strategies/plugin-strategies';
import { registerStrategies } from '../domain/strategies/registry';
import type { AnyStrategy } from '../domain/strategies/strategy';
import { ConfigError, PROJECT_ROOT } from './config';

/** The series every plugin is checked on before it is registered: the bundled AAPL sample. */
export const REFERENCE_BARS_FILE = path.join(PROJECT_ROOT, 'data', 'sample', 'AAPL_data.csv');
/**
 * Its last three years: the check cuts the history at a third, so a warm-up
 * of up to 500 bars (two years) is measured; the check is quadratic, so more
 * would slow every start.
 */
const REFERENCE_BAR_COUNT = 750;

/** Module files a plugin folder contributes (declaration and test files are not plugins). */
const MODULE_FILE = /\.(ts|mts|cts|js|mjs|cjs)$/;
const NOT_A_MODULE = /\.d\.[mc]?ts$|\.test\.[mc]?[jt]s$/;

let referenceBars: EnrichedBar[] | undefined;

/** The bundled reference series, read once per process. */
export function pluginReferenceBars(): EnrichedBar[] {
  if (!referenceBars) {
    const raw = parsePriceCsv(fs.readFileSync(REFERENCE_BARS_FILE, 'utf8'), REFERENCE_BARS_FILE);
    const asOf = new Date().toISOString().slice(0, 10);
    referenceBars = enrichBars(validatePriceRows(raw, { asOf }).bars, []).slice(-REFERENCE_BAR_COUNT);
  }
  return referenceBars;
}

/** The module files named by one `strategies.modules` entry: the file, or a folder's module files (not recursive), sorted. */
function moduleFiles(entry: string): string[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(entry);
  } catch {
    throw new BadInputError('no such file or folder');
  }
  if (!stat.isDirectory()) return [entry];
  const files = fs
    .readdirSync(entry)
    .filter((f) => MODULE_FILE.test(f) && !NOT_A_MODULE.test(f))
    .sort()
    .map((f) => path.join(entry, f));
  if (files.length === 0) throw new BadInputError('the folder holds no .ts or .js module');
  return files;
}

/**
 * Refuses a strategy that looks ahead or declares too short a lookback (with
 * its defaults, on the reference series), naming the first offending day.
 */
export function refuseLookAhead(strategy: AnyStrategy, bars: readonly EnrichedBar[] = pluginReferenceBars()): void {
  const refusal = lookAheadRefusal(checkLookAhead(strategy, undefined, bars));
  if (refusal) throw new BadInputError(`strategy ${strategy.name} ${refusal}`);
}

/**
 * Loads the strategy plugins named by `strategies.modules` (files or folders,
 * absolute paths as loadConfig resolves them) and registers them, all or
 * nothing: each module is imported (tsx runs TypeScript; JavaScript through
 * dynamic import), its strategies checked for look-ahead on the reference
 * series, then all are registered at once. Any failure (a missing file, a
 * module that throws or exports no strategy, a peeking strategy, a duplicate
 * name) is a ConfigError naming the module's path and the error, and nothing
 * of this call is registered. Loading the same modules again is a no-op.
 */
export async function loadStrategyModules(entries: readonly string[]): Promise<AnyStrategy[]> {
  const loaded: AnyStrategy[] = [];
  const origin = new Map<AnyStrategy, string>();
  for (const entry of entries) {
    const files = withPath(entry, () => moduleFiles(entry));
    for (const file of files) {
      let exported: unknown;
      try {
        exported = await importModule(file);
      } catch (err) {
        throw new ConfigError(`invalid configuration: strategies.modules: ${file}: ${errorMessage(err)}`);
      }
      for (const strategy of withPath(file, () => strategiesExportedBy(exported))) {
        withPath(file, () => refuseLookAhead(strategy));
        loaded.push(strategy);
        origin.set(strategy, file);
      }
    }
  }
  try {
    registerStrategies(loaded);
  } catch (err) {
    if (!(err instanceof BadInputError)) throw err;
    const taken = loaded.find((s) => err.message.includes(JSON.stringify(s.name)));
    const where = taken ? `${origin.get(taken)}: ` : '';
    throw new ConfigError(`invalid configuration: strategies.modules: ${where}${err.message}`);
  }
  return loaded;
}

function withPath<T>(where: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof BadInputError) {
      throw new ConfigError(`invalid configuration: strategies.modules: ${where}: ${err.message}`);
    }
    throw err;
  }
}

/** A dynamic import: tsx (the worker's and the API's runtime) runs TypeScript and ES modules alike. */
function importModule(file: string): Promise<unknown> {
  return import(file);
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
