import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';

/** The project root (where package.json and config/ live). */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

const tickerSymbol = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z][A-Z0-9.\-]{0,14}$/, 'a ticker symbol such as AAPL or BRK.B');

const tlsSchema = z.union([
  z.boolean(),
  z.object({
    clientCertPath: z.string().optional(),
    clientKeyPath: z.string().optional(),
    serverRootCaCertPath: z.string().optional(),
    serverNameOverride: z.string().optional(),
  }),
]);

/** The whole configuration, validated at start. */
export const configSchema = z.object({
  /** Tickers the daily job tracks (subscribed ones are added at run time). */
  tickers: z.array(tickerSymbol).default([]),
  marketData: z.object({
    /** Which provider fetches prices. */
    provider: z.enum(['csv', 'yahoo']).default('csv'),
    /** Directory of per-ticker CSV files for the csv provider. */
    csvDir: z.string().min(1).default('data/sample'),
  }),
  /** Directory for the stack's state, logs, mail sink and reports. */
  dataDir: z.string().min(1).default('.data'),
  database: z.object({ url: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// URL') }),
  redis: z.object({ url: z.string().regex(/^rediss?:\/\//, 'a redis:// URL') }),
  temporal: z.object({
    /** host:port of the Temporal frontend. */
    address: z.string().regex(/^[^:\s]+:\d+$/, 'host:port'),
    namespace: z.string().min(1),
    taskQueue: z.string().min(1),
    tls: tlsSchema.default(false),
    /** Temporal Cloud API key; implies TLS. */
    apiKey: z.string().min(1).optional(),
    devServer: z
      .object({
        uiPort: z.number().int().min(1).max(65535).default(8233),
        binary: z.string().nullable().default(null),
      })
      .default({ uiPort: 8233, binary: null }),
  }),
  ingestion: z
    .object({
      batchSize: z.number().int().min(1).max(500).default(25),
      maxConcurrentBatches: z.number().int().min(1).max(64).default(4),
    })
    .default({ batchSize: 25, maxConcurrentBatches: 4 }),
});

export type AppConfig = z.infer<typeof configSchema>;

/** Environment variables that override config keys (dotted paths). */
const ENV_OVERRIDES: Record<string, string> = {
  DATABASE_URL: 'database.url',
  REDIS_URL: 'redis.url',
  TEMPORAL_ADDRESS: 'temporal.address',
  TEMPORAL_NAMESPACE: 'temporal.namespace',
  TEMPORAL_TASK_QUEUE: 'temporal.taskQueue',
  TEMPORAL_API_KEY: 'temporal.apiKey',
  TEMPORAL_BINARY: 'temporal.devServer.binary',
  ALGO_DATA_DIR: 'dataDir',
  ALGO_PROVIDER: 'marketData.provider',
  ALGO_CSV_DIR: 'marketData.csvDir',
  ALGO_TICKERS: 'tickers',
};

/** Thrown when the configuration is invalid; the message names each bad key. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]] = value;
}

function deepMerge(base: unknown, over: unknown): unknown {
  if (typeof base !== 'object' || base === null || Array.isArray(base)) return over;
  if (typeof over !== 'object' || over === null || Array.isArray(over)) return over;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(out[k], v);
  return out;
}

function readYaml(file: string): unknown {
  try {
    return YAML.parse(fs.readFileSync(file, 'utf8')) ?? {};
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
  }
}

/** Format zod issues as `key: expected ..., got ...` lines. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}

/**
 * Load config/default.yaml, merge the file named by ALGO_CONFIG over it, then
 * the environment overrides, and validate. Relative paths (csvDir, dataDir)
 * are resolved against the project root.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  let raw = readYaml(path.join(PROJECT_ROOT, 'config', 'default.yaml'));
  if (env.ALGO_CONFIG) raw = deepMerge(raw, readYaml(path.resolve(env.ALGO_CONFIG)));
  const merged = structuredClone(raw) as Record<string, unknown>;
  for (const [name, dotted] of Object.entries(ENV_OVERRIDES)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    setPath(merged, dotted, dotted === 'tickers' ? value.split(',') : value);
  }
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) throw new ConfigError(`invalid configuration: ${formatIssues(parsed.error.issues)}`);
  const config = parsed.data;
  config.dataDir = path.resolve(PROJECT_ROOT, config.dataDir);
  config.marketData.csvDir = path.resolve(PROJECT_ROOT, config.marketData.csvDir);
  return config;
}
