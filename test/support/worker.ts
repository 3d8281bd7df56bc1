import crypto from 'node:crypto';
import { bundleWorkflowCode, DefaultLogger, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadConfig, type AppConfig } from '../../src/config/config';
import { createActivities } from '../../src/activities';
import { createDependencies } from '../../src/worker';

/** Settings a test overrides; everything else comes from config/default.yaml. */
export interface TestConfigOverrides {
  databaseUrl: string;
  temporalAddress?: string;
  csvDir?: string;
  smtpPort?: number;
  tickers?: string[];
  /** Names the Redis key prefix and task queue: `test` (default) or `bench`. */
  prefix?: string;
}

/**
 * A real AppConfig for a test: its private database, a private Redis key
 * prefix and task queue, and the test's own mail sink port.
 */
export function testConfig(o: TestConfigOverrides): AppConfig {
  const id = crypto.randomBytes(4).toString('hex');
  const prefix = o.prefix ?? 'test';
  const config = loadConfig({
    ...process.env,
    DATABASE_URL: o.databaseUrl,
    REDIS_KEY_PREFIX: `algo-${prefix}-${id}:`,
    TEMPORAL_TASK_QUEUE: `${prefix}-${id}`,
    ...(o.temporalAddress ? { TEMPORAL_ADDRESS: o.temporalAddress } : {}),
    ...(o.csvDir ? { ALGO_CSV_DIR: o.csvDir } : {}),
    ...(o.smtpPort ? { SMTP_PORT: String(o.smtpPort) } : {}),
  });
  if (o.tickers) config.tickers = o.tickers;
  return config;
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** The workflow bundle, built once per test file (or benchmark run). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: require.resolve('../../src/workflows'),
    logger: new DefaultLogger('WARN'),
  });
  return bundle;
}

/** Real dependencies (Postgres, Redis, SMTP) from `config`, as the worker builds them. */
export function testDependencies(config: AppConfig) {
  return createDependencies(config);
}

/** A running in-process worker and the dependencies it was built with. */
export interface TestWorker {
  deps: ReturnType<typeof createDependencies>['deps'];
  /** Shut the worker down, wait for it, close its clients. */
  stop(): Promise<void>;
}

/** A worker on `config`'s task queue with the activities of `deps`, as src/worker.ts builds it. */
async function createWorker(
  env: TestWorkflowEnvironment,
  config: AppConfig,
  deps: TestWorker['deps'],
): Promise<Worker> {
  return Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue: config.temporal.taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createActivities(deps),
  });
}

/** Start an in-process worker wired exactly like src/worker.ts; call `stop()` when done. */
export async function startTestWorker(env: TestWorkflowEnvironment, config: AppConfig): Promise<TestWorker> {
  const { deps, close } = createDependencies(config);
  const worker = await createWorker(env, config, deps).catch(async (err: unknown) => {
    await close();
    throw err;
  });
  const running = worker.run();
  return {
    deps,
    async stop() {
      worker.shutdown();
      try {
        await running;
      } finally {
        await close();
      }
    },
  };
}

/** Run `fn` with an in-process worker wired exactly like src/worker.ts. */
export async function withTestWorker<T>(
  env: TestWorkflowEnvironment,
  config: AppConfig,
  fn: () => Promise<T>,
): Promise<T> {
  const { deps, close } = createDependencies(config);
  try {
    const worker = await createWorker(env, config, deps);
    return await worker.runUntil(fn);
  } finally {
    await close();
  }
}
