import { sql } from 'kysely';
import { loadConfig } from '../config/config';
import { PostgresDeliveryRepository } from '../adapters/postgres/postgres-delivery.repository';
import { PostgresSignalRepository } from '../adapters/postgres/postgres-signal.repository';
import { PostgresSubscriberRepository } from '../adapters/postgres/postgres-subscriber.repository';
import { PostgresBacktestRepository } from '../adapters/postgres/postgres-backtest.repository';
import { createObjectStore } from '../adapters/object-store/object-store.factory';
import { connectTemporal, createMailer, createTokenSigner, openDatabase } from '../composition';
import { buildApi } from './build-api';
import { temporalBacktestRuns } from './routes/backtests.routes';
import { temporalWorkflowStarter } from './workflow-starter';

/** The API process (`tsx src/api/main.ts`, started by `algo stack up`): builds the real clients and listens. */
async function main(): Promise<void> {
  const config = loadConfig();
  const db = openDatabase(config);
  // Lazy: the API serves subscriptions and signals even while Temporal is still starting.
  const temporal = await connectTemporal(config, { lazy: true });
  const { client } = temporal;
  const mailer = createMailer(config, { maxConnections: 2 });
  const reports = createObjectStore(config);
  const app = buildApi({
    config,
    backtests: new PostgresBacktestRepository(db),
    reports,
    backtestRuns: temporalBacktestRuns(client, config.temporal.taskQueue),
    subscribers: new PostgresSubscriberRepository(db),
    signals: new PostgresSignalRepository(db),
    deliveries: new PostgresDeliveryRepository(db),
    mailer,
    signer: createTokenSigner(config),
    startWorkflow: temporalWorkflowStarter(client, config.temporal.taskQueue),
    healthCheck: async () => {
      await sql`select 1`.execute(db);
    },
    logger: { level: process.env.LOG_LEVEL ?? 'info' },
  });

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info(`${signal}: shutting down`);
    await app.close();
    mailer.close();
    reports.close?.();
    await temporal.close();
    await db.destroy();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));

  await app.listen({ host: config.api.host, port: config.api.port });
  process.stdout.write(`api ready on http://${config.api.host}:${config.api.port}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`api failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
