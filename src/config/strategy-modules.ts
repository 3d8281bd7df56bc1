import fs from 'node:fs';
import path from 'node:path';
import { BadInputError } from '../domain/errors';
import { strategiesExportedBy } from '../domain/strategies/plugin-strategies';
import { registerStrategies } from '../domain/strategies/registry';
import type { AnyStrategy } from '../domain/strategies/strategy';
import { ConfigError } from './config';
import { refuseLookAhead } from './look-ahead-on-load';

/** Module files a plugin folder contributes (declaration and test files are not plugins). */
const MODULE_FILE = /\.(ts|mts|cts|js|mjs|cjs)$/;
const NOT_A_MODULE = /\.d\.[mc]?ts$|\.test\.[mc]?[jt]s$/;

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
