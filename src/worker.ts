import { NativeConnection, Worker } from '@temporalio/worker';
import { loadConfig, type AppConfig } from './config/config';
import { createDatabase } from './adapters/postgres/database';
import { PostgresPriceRepository } from './adapters/postgres/postgres-price.repository';
import { createMarketDataProvider } from './adapters/market-data/market-data.factory';
import { temporalConnectionOptions } from './adapters/temporal/connection';
import { createActivities, type ActivityDependencies } from './activities';

/**
 * The composition root: the only place that builds real clients. Everything
 * else receives them through `createActivities(deps)`.
 */
export function createDependencies(config: AppConfig) {
  const db = createDatabase(config.database.url, { max: 16 });
  const prices = new PostgresPriceRepository(db);
  const deps: ActivityDependencies = {
    prices,
    runs: prices,
    marketData: (selection) => createMarketDataProvider(selection.provider, { csvDir: selection.csvDir ?? config.marketData.csvDir }),
  };
  return { deps, close: () => db.destroy() };
}

/** Start a worker on the configured task queue; resolves when it stops (SIGINT/SIGTERM). */
export async function runWorker(config: AppConfig = loadConfig()): Promise<void> {
  const { deps, close } = createDependencies(config);
  const connection = await NativeConnection.connect(temporalConnectionOptions(config));
  try {
    const worker = await Worker.create({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      workflowsPath: require.resolve('./workflows'),
      activities: createActivities(deps),
    });
    console.log(`worker ready: task queue ${config.temporal.taskQueue} on ${config.temporal.address} (namespace ${config.temporal.namespace})`);
    await worker.run();
  } finally {
    await connection.close();
    await close();
  }
}

if (require.main === module) {
  runWorker().catch((err) => {
    console.error(`worker failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
