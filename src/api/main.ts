import { apiLoggerOptions } from './logging';
import { loadConfig } from '../config/config';
import { loadStrategyModules } from '../config/strategy-modules';
import { createObjectStore } from '../adapters/object-store/object-store.factory';
import { connectTemporal, createMailer, openDatabase, openRedis } from '../composition';
import { apiDependencies } from './api-dependencies';
import { buildApi } from './build-api';
import { unsafeListenReason } from './listen-guard';

/** The API process (`tsx src/api/main.ts`, started by `algo stack up`): builds the real clients and listens. */
async function main(): Promise<void> {
  const config = loadConfig();
  await loadStrategyModules(config.strategies.modules ?? []);
  const unsafe = unsafeListenReason(config.api);
  if (unsafe) throw new Error(unsafe);
  const db = openDatabase(config);
  const redis = openRedis(config);
  // Lazy: the API serves subscriptions and signals even while Temporal is still starting.
  const temporal = await connectTemporal(config, { lazy: true });
  const { client } = temporal;
  const mailer = createMailer(config, { maxConnections: 2, redis });
  const reports = createObjectStore(config);
  const app = buildApi({
    ...apiDependencies(config, { db, redis, temporal: client, mailer, reports }),
    logger: apiLoggerOptions(config.logging.level.toLowerCase()),
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
    redis.disconnect();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));

  await app.listen({ host: config.api.host, port: config.api.port });
  // Fastify's logger writes JSON lines already; with logging.format json, so does this one.
  const ready = `api ready on http://${config.api.host}:${config.api.port}`;
  process.stdout.write(
    config.logging.format === 'json'
      ? `${JSON.stringify({ time: new Date().toISOString(), level: 'info', msg: ready })}\n`
      : `${ready}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`api failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
