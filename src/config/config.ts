import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { MARKET_DATA_PROVIDERS } from '../domain/market-data';
import { tickerSymbolSchema } from '../domain/ticker-symbol.schema';
import { BadInputError } from '../domain/errors';
import {
  EMAIL_ACTIVITIES_AT_ONCE,
  EMAIL_ACTIVITY_TIMEOUT_SECONDS,
  largestEmailPage,
} from '../domain/notifications/fan-out';
import { registerStrategies } from '../domain/strategies/registry';
import { ruleStrategy } from '../domain/strategies/rules/rule-strategy';
import { refuseLookAhead } from './look-ahead-on-load';

/** The project root (where package.json and config/ live). */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

const tickerSymbol = tickerSymbolSchema;

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
const windowLimit = (max: number, windowSeconds: number) =>
  z
    .object({
      /** Requests allowed in one window; the next one answers 429. */
      max: z.coerce.number().int().min(1).default(max),
      windowSeconds: z.coerce.number().int().min(1).default(windowSeconds),
    })
    .default({ max, windowSeconds });

/** Defaults: 30 requests a minute per client, 10 per 10 minutes per address (a subscribe, its confirm and a few manage-page visits). */
const DEFAULT_RATE_LIMITS = { perClient: { max: 30, windowSeconds: 60 }, perAddress: { max: 10, windowSeconds: 600 } };

/** Default of `api.rateLimit.adminKeyFailures`: 10 wrong admin keys per client in 15 minutes. */
export const DEFAULT_ADMIN_KEY_FAILURES = { max: 10, windowSeconds: 900 };

const rateLimitSchema = z.object({
  perClient: windowLimit(DEFAULT_RATE_LIMITS.perClient.max, DEFAULT_RATE_LIMITS.perClient.windowSeconds),
  perAddress: windowLimit(DEFAULT_RATE_LIMITS.perAddress.max, DEFAULT_RATE_LIMITS.perAddress.windowSeconds),
  /**
   * Wrong admin keys (`x-api-key`) one client IP may send in a window; after
   * `max` of them every admin-key request of that client answers 429, even
   * with the right key, until the window has passed.
   */
  adminKeyFailures: windowLimit(DEFAULT_ADMIN_KEY_FAILURES.max, DEFAULT_ADMIN_KEY_FAILURES.windowSeconds),
});

/** Limits of the public API endpoints (config `api.rateLimit`); `adminKeyFailures` defaults to {@link DEFAULT_ADMIN_KEY_FAILURES}. */
export type ApiRateLimits = Omit<z.infer<typeof rateLimitSchema>, 'adminKeyFailures'> &
  Partial<Pick<z.infer<typeof rateLimitSchema>, 'adminKeyFailures'>>;

export const configSchema = z.object({
  /** Tickers the daily job tracks (subscribed ones are added at run time). */
  tickers: z.array(tickerSymbol).default([]),
  marketData: z.object({
    /** Which provider fetches prices (when `providers` is not set). */
    provider: z.enum(MARKET_DATA_PROVIDERS).default('csv'),
    /**
     * Failover order, e.g. `[yahoo, alphavantage]`: a ticker the first cannot
     * serve for a transient reason (rate limit, 5xx, network) is fetched from
     * the next. Omitted: `[provider]`.
     */
    providers: z.array(z.enum(MARKET_DATA_PROVIDERS)).min(1).optional(),
    /** Directory of per-ticker CSV files for the csv provider. */
    csvDir: z.string().min(1).default('data/sample'),
    yahoo: z
      .object({
        /** Requests per minute this worker process sends to Yahoo (one limiter shared by its batches). */
        requestsPerMinute: z.coerce.number().positive().default(60),
        /** Origin to send Yahoo's requests to (a proxy; tests: a local server); default Yahoo's own. */
        baseUrl: z.string().url().optional(),
      })
      .prefault({}),
    alphaVantage: z
      .object({
        /** API key of https://www.alphavantage.co (TIME_SERIES_DAILY_ADJUSTED). */
        apiKey: z.string().min(1).optional(),
        /** Requests per minute (free keys: 5 a minute, 25 a day). */
        requestsPerMinute: z.coerce.number().positive().default(5),
        baseUrl: z.string().url().default('https://www.alphavantage.co'),
      })
      .prefault({}),
  }),
  /** Directory for the stack's state, logs, mail sink and reports. */
  dataDir: z.string().min(1).default('.data'),
  database: z.object({ url: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// URL') }),
  redis: z.object({
    url: z.string().regex(/^rediss?:\/\//, 'a redis:// URL'),
    /** Prefix of every key this system writes (so several installs can share a Redis). */
    keyPrefix: z.string().default('algo:'),
  }),
  temporal: z.object({
    /** host:port of the Temporal frontend. */
    address: z.string().regex(/^[^:\s]+:\d+$/, 'host:port'),
    namespace: z.string().min(1),
    taskQueue: z.string().min(1),
    tls: tlsSchema.default(false),
    /** Temporal Cloud API key; implies TLS. */
    apiKey: z.string().min(1).optional(),
    /**
     * Which Temporal server `algo stack up` runs at a local `address`: `dev`
     * (default) the CLI's dev server (SQLite in dataDir), for development and
     * testing; `postgres` production mode, the self-hosted Temporal Service
     * on the app's Postgres with its Web UI (src/stack/temporal-server.ts,
     * README "Running it every day"). Env TEMPORAL_SERVER.
     */
    server: z.enum(['dev', 'postgres']).default('dev'),
    /** Production mode's server (`server: postgres`); ignored by the dev server. */
    production: z
      .object({
        /**
         * How long the namespace keeps a closed workflow's history, in days
         * (Temporal's retention period; at least 1). Applied at every `stack up`.
         * Env TEMPORAL_RETENTION_DAYS.
         */
        retentionDays: z.coerce.number().int().min(1).max(3650).default(30),
        /** Port of its Web UI (the Temporal UI server) on 127.0.0.1. */
        uiPort: z.coerce.number().int().min(1).max(65535).default(8233),
        /** Its two databases on the app's Postgres server (database.url's host, port and user). */
        database: z
          .string()
          .regex(/^[a-z_][a-z0-9_]*$/, 'a lower-case database name')
          .default('temporal'),
        visibilityDatabase: z
          .string()
          .regex(/^[a-z_][a-z0-9_]*$/, 'a lower-case database name')
          .default('temporal_visibility'),
      })
      .prefault({}),
    /** Base URL of the Temporal Web UI that run links point to (default: the dev server's UI, http://<address host>:<uiPort>). */
    uiUrl: z.string().url().optional(),
    devServer: z
      .object({
        uiPort: z.number().int().min(1).max(65535).default(8233),
        binary: z.string().nullable().default(null),
      })
      .default({ uiPort: 8233, binary: null }),
  }),
  /** Which strategies run for which tickers (several per ticker is the normal case). */
  strategies: z
    .object({
      /** Strategies (with optional parameters) run for every tracked ticker. */
      default: z
        .array(z.object({ name: z.string().min(1), params: z.record(z.string(), z.number()).default({}) }))
        .min(1),
      /** Per-ticker replacement of the default list. */
      perTicker: z
        .record(
          tickerSymbol,
          z.array(z.object({ name: z.string().min(1), params: z.record(z.string(), z.number()).default({}) })),
        )
        .default({}),
      /**
       * Rule strategies (README, "Strategies by configuration"): each is
       * checked and registered at start beside the built-ins, so that the
       * lists above, backtests and sweeps can name them. A broken rule stops
       * the start with its path and error.
       */
      rules: z.array(z.unknown()).optional(),
      /**
       * Strategy plugins (README, "Strategy plugins"): files or folders of
       * TypeScript/JavaScript modules exporting strategies made with
       * `defineStrategy`, loaded by the worker, the API and the CLI at start
       * (loadStrategyModules); relative paths are resolved against the project
       * root. Env ALGO_STRATEGY_MODULES (comma-separated).
       */
      modules: z.array(z.string().min(1)).optional(),
    })
    .default({
      default: [
        { name: 'sma_cross', params: {} },
        { name: 'macd_cross', params: {} },
      ],
      perTicker: {},
    }),
  mail: z
    .object({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.coerce.number().int().min(1).max(65535).default(1025),
      /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
      secure: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]).default(false),
      /** SMTP login (omitted: no AUTH, as for the local sink). */
      user: z.string().min(1).optional(),
      password: z.string().optional(),
      from: z.string().min(3).default('Algo Signals <signals@localhost>'),
      /** Subscribers per email activity: 10,000 subscribers are 50 activities. */
      batchSize: z.number().int().min(1).max(5000).default(200),
      /**
       * Most messages a second the whole deployment sends (Amazon SES starts
       * at 14): every worker, the API and the CLI take turns in one counter
       * in Redis. Unset: no limit.
       */
      maxPerSecond: z.coerce.number().positive().max(100_000).optional(),
    })
    .superRefine((mail, ctx) => {
      if (mail.maxPerSecond === undefined) return;
      const largest = largestEmailPage(mail.maxPerSecond);
      if (largest < 1)
        ctx.addIssue({
          code: 'custom',
          path: ['maxPerSecond'],
          message: `${mail.maxPerSecond} a second is too slow for any email activity to finish within its timeout (at least ${EMAIL_ACTIVITIES_AT_ONCE / (EMAIL_ACTIVITY_TIMEOUT_SECONDS / 2)} a second)`,
        });
      else if (mail.batchSize > largest)
        ctx.addIssue({
          code: 'custom',
          path: ['batchSize'],
          message: `${mail.batchSize} recipients per email activity at mail.maxPerSecond ${mail.maxPerSecond} would outlast the activity timeout: at most ${largest}`,
        });
    })
    .default({
      host: '127.0.0.1',
      port: 1025,
      secure: false,
      from: 'Algo Signals <signals@localhost>',
      batchSize: 200,
    }),
  api: z.object({
    host: z.string().default('127.0.0.1'),
    port: z.coerce.number().int().min(1).max(65535).default(8000),
    /** Key for admin endpoints (header `x-api-key`). */
    apiKey: z.string().min(8, 'at least 8 characters'),
    /**
     * The address people and emails reach the API at (behind a reverse proxy:
     * the proxy's https URL); every link the system makes (confirm,
     * unsubscribe, manage, signal pages) starts with it.
     */
    publicUrl: z.string().url().default('http://127.0.0.1:8000'),
    /**
     * Behind a reverse proxy: which X-Forwarded-For hops to believe, so rate
     * limits and logs see the client, not the proxy (Fastify `trustProxy`).
     * `false` (default): none; `true`: every hop; a number: that many hops;
     * else addresses/CIDRs, comma-separated (`127.0.0.1,10.0.0.0/8`). Env TRUST_PROXY.
     */
    trustProxy: z
      .union([
        z.boolean(),
        z.number().int().min(1),
        z
          .string()
          .min(1)
          .transform((v): boolean | number | string =>
            v === 'true' ? true : v === 'false' ? false : /^\d+$/.test(v) ? Number(v) : v,
          ),
      ])
      .default(false),
    /**
     * Secrets of the confirm, manage and unsubscribe links (HMAC-SHA256): the
     * first signs, every one verifies, so a new secret goes first and the old
     * one stays until the links it signed have expired. Env TOKEN_SECRETS
     * (comma-separated); `tokenSecret` / TOKEN_SECRET, the older spelling, is
     * read as a list of one.
     */
    tokenSecrets: z.array(z.string().min(16, 'at least 16 characters')).min(1, 'give at least one secret'),
    /**
     * Limits of the public endpoints (subscribe, confirm, manage, unsubscribe),
     * counted in Redis: requests per client IP, and per email address, each in its window.
     */
    rateLimit: rateLimitSchema.default({ ...DEFAULT_RATE_LIMITS, adminKeyFailures: DEFAULT_ADMIN_KEY_FAILURES }),
    /**
     * The subscribe form's proof of work (ALTCHA's format, self-hosted): the
     * browser tries about maxNumber / 2 SHA-256 hashes per request. Off: none asked.
     */
    proofOfWork: z
      .object({
        enabled: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]).default(true),
        maxNumber: z.coerce.number().int().min(1).max(10_000_000).default(100_000),
        expiresSeconds: z.coerce.number().int().min(10).max(86_400).default(600),
      })
      .prefault({}),
  }),
  /** The daily run's watchdog (issue 17.5): who is told, and by when the day's run must have finished. */
  alerts: z
    .object({
      /** Who gets the alert email when a trading day's run failed or is late; omitted: nobody (the check still runs). Env ALERTS_EMAIL. */
      email: z.string().email().optional(),
      /** HH:MM in America/New_York by which the trading day's run must have finished. Env ALERTS_DEADLINE. */
      deadline: z
        .string()
        .regex(/^([01]?\d|2[0-3]):[0-5]\d$/, 'a time HH:MM (America/New_York)')
        .default('20:00'),
    })
    .prefault({}),
  worker: z
    .object({
      /**
       * A file the worker touches every 10 s while it runs (the Docker health
       * check reads its age); omitted: none. Env WORKER_HEALTH_FILE.
       */
      healthFile: z.string().min(1).optional(),
      /**
       * host:port of the worker's Prometheus endpoint (`/metrics`: the Temporal
       * SDK's metrics and the app's daily-run metrics); omitted: none. Env WORKER_METRICS_ADDRESS.
       */
      metricsAddress: z
        .string()
        .regex(/^[^:\s]+:\d+$/, 'host:port')
        .optional(),
    })
    .prefault({}),
  /** The worker's and the API's logs. */
  logging: z
    .object({
      /** `json`: one JSON object per line (worker and API); `text`: the worker's readable lines. Env LOG_FORMAT. */
      format: z.enum(['text', 'json']).default('text'),
      /** Least severe level written. Env LOG_LEVEL. */
      level: z
        .string()
        .transform((v) => v.toUpperCase())
        .pipe(z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR']))
        .default('INFO'),
    })
    .prefault({}),
  /** What subscribers may ask of the system (issue 18 point 1: nobody can make every run slow). */
  subscriptions: z
    .object({
      /** Most tickers one address may follow through the public paths (subscribe, confirm, manage). */
      maxTickersPerSubscriber: z.coerce.number().int().min(1).max(5000).default(50),
      /** Most tickers tracked and pending in all; a subscriber's new symbol beyond it is refused. */
      maxTrackedTickers: z.coerce.number().int().min(1).default(1000),
      /** Pending symbols each daily run asks its provider about (tracked if it has bars, else dropped). */
      pendingChecksPerRun: z.coerce.number().int().min(0).max(1000).default(20),
      /** Days a confirmation link works; then its page offers a new one by email. */
      confirmLinkDays: z.coerce.number().int().min(1).max(3650).default(7),
      /** Days a manage link works; then its page offers a new one by email. Unsubscribe links never expire. */
      manageLinkDays: z.coerce.number().int().min(1).max(3650).default(180),
    })
    .prefault({}),
  ingestion: z
    .object({
      batchSize: z.number().int().min(1).max(500).default(25),
      maxConcurrentBatches: z.number().int().min(1).max(64).default(4),
    })
    .default({ batchSize: 25, maxConcurrentBatches: 4 }),
  /**
   * The public backtest playground (`POST /playground/backtests`, no key;
   * issue 18 point 4): how many starts, how long its results are kept, how
   * many. Admin backtests are never limited, counted nor deleted by these.
   */
  playground: z
    .object({
      /** Backtests one client IP may start per minute (counted in Redis by the API's one limiter). */
      startsPerMinute: z.coerce.number().int().min(1).default(20),
      /** A public result (its rows, report and chart) is deleted once older than this (hourly cleanup). */
      retentionDays: z.coerce.number().int().min(1).max(3650).default(30),
      /**
       * Most public results kept; a new one first deletes the oldest beyond it. A count, not bytes: a
       * result's size is bounded by its window (at most about 2.2 MB for 41 years of daily bars).
       */
      maxStoredResults: z.coerce.number().int().min(1).default(5_000),
    })
    .prefault({}),
  /** Ad-hoc backtests: metrics settings and where their reports are stored. */
  backtests: z
    .object({
      /** Annual risk-free rate for Sharpe and Sortino, as a fraction (0.02 = 2 %). */
      riskFreeRate: z.coerce.number().min(0).max(1).default(0),
      reports: z
        .object({
          /** `filesystem` (default): files under `dir`; `s3`: an S3-compatible bucket (MinIO in docker-compose). */
          store: z.enum(['filesystem', 's3']).default('filesystem'),
          /** Directory of the filesystem store; default `<dataDir>/reports`. */
          dir: z.string().min(1).optional(),
          s3: z
            .object({
              /** Endpoint of an S3-compatible server (MinIO: http://127.0.0.1:9000); omitted: AWS S3. */
              endpoint: z.string().url().optional(),
              region: z.string().min(1).default('us-east-1'),
              bucket: z.string().min(3).default('algo-reports'),
              /** Omitted: the AWS SDK's default credential chain. */
              accessKeyId: z.string().min(1).optional(),
              secretAccessKey: z.string().min(1).optional(),
              /** Bucket in the path, not the host name (MinIO needs it). */
              forcePathStyle: z
                .union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')])
                .default(true),
              /** Base URL reports are linked under (a public bucket or CDN); default the endpoint's bucket URL. */
              publicUrl: z.string().url().optional(),
            })
            .prefault({}),
        })
        .prefault({}),
    })
    .prefault({}),
});

export type AppConfig = z.infer<typeof configSchema>;

/** Environment variables that override config keys (dotted paths). */
const ENV_OVERRIDES: Record<string, string> = {
  DATABASE_URL: 'database.url',
  REDIS_URL: 'redis.url',
  REDIS_KEY_PREFIX: 'redis.keyPrefix',
  TEMPORAL_ADDRESS: 'temporal.address',
  TEMPORAL_NAMESPACE: 'temporal.namespace',
  TEMPORAL_TASK_QUEUE: 'temporal.taskQueue',
  TEMPORAL_API_KEY: 'temporal.apiKey',
  TEMPORAL_BINARY: 'temporal.devServer.binary',
  TEMPORAL_SERVER: 'temporal.server',
  TEMPORAL_UI_URL: 'temporal.uiUrl',
  TEMPORAL_RETENTION_DAYS: 'temporal.production.retentionDays',
  ALGO_DATA_DIR: 'dataDir',
  ALGO_PROVIDER: 'marketData.provider',
  ALGO_CSV_DIR: 'marketData.csvDir',
  ALGO_PROVIDERS: 'marketData.providers',
  YAHOO_BASE_URL: 'marketData.yahoo.baseUrl',
  YAHOO_REQUESTS_PER_MINUTE: 'marketData.yahoo.requestsPerMinute',
  ALPHA_VANTAGE_API_KEY: 'marketData.alphaVantage.apiKey',
  ALPHA_VANTAGE_BASE_URL: 'marketData.alphaVantage.baseUrl',
  ALPHA_VANTAGE_REQUESTS_PER_MINUTE: 'marketData.alphaVantage.requestsPerMinute',
  ALGO_TICKERS: 'tickers',
  SMTP_HOST: 'mail.host',
  SMTP_PORT: 'mail.port',
  SMTP_SECURE: 'mail.secure',
  SMTP_USER: 'mail.user',
  SMTP_PASSWORD: 'mail.password',
  MAIL_FROM: 'mail.from',
  MAIL_MAX_PER_SECOND: 'mail.maxPerSecond',
  API_HOST: 'api.host',
  API_PORT: 'api.port',
  API_KEY: 'api.apiKey',
  PUBLIC_URL: 'api.publicUrl',
  TRUST_PROXY: 'api.trustProxy',
  WORKER_HEALTH_FILE: 'worker.healthFile',
  WORKER_METRICS_ADDRESS: 'worker.metricsAddress',
  LOG_FORMAT: 'logging.format',
  LOG_LEVEL: 'logging.level',
  ALERTS_EMAIL: 'alerts.email',
  PLAYGROUND_RETENTION_DAYS: 'playground.retentionDays',
  PLAYGROUND_MAX_STORED_RESULTS: 'playground.maxStoredResults',
  ALERTS_DEADLINE: 'alerts.deadline',
  TOKEN_SECRETS: 'api.tokenSecrets',
  TOKEN_SECRET: 'api.tokenSecret',
  REPORTS_STORE: 'backtests.reports.store',
  REPORTS_DIR: 'backtests.reports.dir',
  S3_ENDPOINT: 'backtests.reports.s3.endpoint',
  S3_REGION: 'backtests.reports.s3.region',
  S3_BUCKET: 'backtests.reports.s3.bucket',
  S3_ACCESS_KEY_ID: 'backtests.reports.s3.accessKeyId',
  S3_SECRET_ACCESS_KEY: 'backtests.reports.s3.secretAccessKey',
  S3_PUBLIC_URL: 'backtests.reports.s3.publicUrl',
  RISK_FREE_RATE: 'backtests.riskFreeRate',
  ALGO_STRATEGY_MODULES: 'strategies.modules',
};

/** Keys whose environment override is a comma-separated list. */
const LIST_KEYS = new Set(['tickers', 'marketData.providers', 'strategies.modules', 'api.tokenSecrets']);

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

/** The `[dotted path, value]` of every non-object value under `node` (arrays are values). */
function leaves(node: object, prefix = ''): Array<[string, unknown]> {
  return Object.entries(node).flatMap(
    ([key, value]): Array<[string, unknown]> =>
      typeof value === 'object' && value !== null && !Array.isArray(value)
        ? leaves(value, `${prefix}${key}.`)
        : [[`${prefix}${key}`, value]],
  );
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
 * Compiles the configured rule strategies, checks each for look-ahead and
 * lookback on the reference series (src/config/look-ahead-on-load.ts), and registers them (the worker, the API
 * and the CLI all load the config this way); ConfigError naming the rule and
 * the path inside it when one is invalid, peeks or its name is taken.
 */
export function registerRuleStrategies(rules: readonly unknown[]): void {
  const compiled = rules.map((raw, i) => {
    try {
      const strategy = ruleStrategy(raw);
      refuseLookAhead(strategy);
      return strategy;
    } catch (err) {
      if (!(err instanceof BadInputError)) throw err;
      const name = (raw as { name?: unknown } | null)?.name;
      const which = typeof name === 'string' ? ` (${name})` : '';
      throw new ConfigError(`invalid configuration: strategies.rules[${i}]${which}: ${err.message}`);
    }
  });
  try {
    registerStrategies(compiled);
  } catch (err) {
    if (err instanceof BadInputError) throw new ConfigError(`invalid configuration: strategies.rules: ${err.message}`);
    throw err;
  }
}

/**
 * `api.tokenSecret` (env TOKEN_SECRET) is the older spelling of a one-element
 * `api.tokenSecrets`: each source (a config file, the environment) is read
 * that way, so the app has one setting; one source giving both is refused.
 */
function oneTokenSecretsSetting(raw: unknown, where: string): unknown {
  const api = (raw as { api?: Record<string, unknown> } | null)?.api;
  if (!api || typeof api !== 'object' || api.tokenSecret === undefined) return raw;
  if (api.tokenSecrets !== undefined)
    throw new ConfigError(
      `invalid configuration: ${where} sets both api.tokenSecret and api.tokenSecrets: ` +
        'keep only api.tokenSecrets, the list (the first signs, all verify)',
    );
  const { tokenSecret, ...rest } = api;
  return { ...(raw as object), api: { ...rest, tokenSecrets: [tokenSecret] } };
}

/**
 * Load config/default.yaml, merge the file named by ALGO_CONFIG over it, then
 * the environment overrides, and validate. Relative paths (csvDir, dataDir)
 * are resolved against the project root.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const defaults = path.join(PROJECT_ROOT, 'config', 'default.yaml');
  let raw = oneTokenSecretsSetting(readYaml(defaults), defaults);
  if (env.ALGO_CONFIG) {
    const file = path.resolve(env.ALGO_CONFIG);
    raw = deepMerge(raw, oneTokenSecretsSetting(readYaml(file), file));
  }
  const merged = structuredClone(raw) as Record<string, unknown>;
  const fromEnv: Record<string, unknown> = {};
  for (const [name, dotted] of Object.entries(ENV_OVERRIDES)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    setPath(fromEnv, dotted, LIST_KEYS.has(dotted) ? value.split(',') : value);
  }
  const overrides = oneTokenSecretsSetting(fromEnv, 'the environment (TOKEN_SECRET and TOKEN_SECRETS)') as object;
  for (const [dotted, value] of leaves(overrides)) setPath(merged, dotted, value);
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) throw new ConfigError(`invalid configuration: ${formatIssues(parsed.error.issues)}`);
  const config = parsed.data;
  registerRuleStrategies(config.strategies.rules ?? []);
  config.dataDir = path.resolve(PROJECT_ROOT, config.dataDir);
  config.marketData.csvDir = path.resolve(PROJECT_ROOT, config.marketData.csvDir);
  config.strategies.modules = (config.strategies.modules ?? []).map((m) => path.resolve(PROJECT_ROOT, m));
  config.backtests.reports.dir = path.resolve(
    PROJECT_ROOT,
    config.backtests.reports.dir ?? path.join(config.dataDir, 'reports'),
  );
  return config;
}
