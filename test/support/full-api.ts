import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { createObjectStore } from '../../src/adapters/object-store/object-store.factory';
import { apiDependencies } from '../../src/api/api-dependencies';
import { buildApi } from '../../src/api/build-api';
import { createMailer, openRedis } from '../../src/composition';
import type { AppConfig } from '../../src/config/config';
import { startMailSink, type MailSink } from '../../src/mail-sink';
import { createTestDatabase, type TestDatabase } from './database';
import { tempDir } from './mail';
import { startTestTemporal } from './temporal';
import { startTestWorker, testConfig, type TestWorker } from './worker';

/** An API as main.ts serves it, every dependency real: the test's own database, Redis prefix, Temporal server, worker and mail sink. */
export interface FullApi {
  app: FastifyInstance;
  baseUrl: string;
  config: AppConfig;
  db: TestDatabase;
  /** The Temporal dev server its worker runs on. */
  temporal: TestWorkflowEnvironment;
  /** Where the SMTP sink stores what it receives. */
  mailDir: string;
  /** The worker's dependencies (its Redis strategy states, to clear between tests). */
  workerDeps: TestWorker['deps'];
  /** Stop everything it started. */
  close(): Promise<void>;
}

/**
 * Build the API with apiDependencies (the wiring main.ts uses) on a private
 * Postgres database, a private Redis key prefix, a private Temporal dev server
 * with a worker on its task queue, and an SMTP sink; listen on a free port.
 */
export async function startFullApi(options: {
  apiKey: string;
  /** Changes to the test's config before anything is built over it. */
  configure?: (config: AppConfig) => void;
}): Promise<FullApi> {
  let env: TestWorkflowEnvironment | undefined;
  let db: TestDatabase | undefined;
  let sink: MailSink | undefined;
  let worker: TestWorker | undefined;
  let redis: Redis | undefined;
  const close = async () => {
    await worker?.stop();
    await sink?.close();
    redis?.disconnect();
    await db?.destroy();
    await env?.teardown();
  };
  const mailDir = tempDir('algo-full-api-mail-');
  try {
    [env, db, sink] = await Promise.all([
      startTestTemporal(),
      createTestDatabase(),
      startMailSink({ port: 0, dir: mailDir }),
    ]);
    const config = testConfig({ databaseUrl: db.url, temporalAddress: env.address, smtpPort: sink.port });
    config.api.apiKey = options.apiKey;
    config.dataDir = tempDir('algo-full-api-data-');
    options.configure?.(config);
    worker = await startTestWorker(env, config);
    redis = openRedis(config);
    const mailer = createMailer(config);
    const app = buildApi({
      ...apiDependencies(config, {
        db: db.db,
        redis,
        temporal: env.client,
        mailer,
        reports: createObjectStore(config),
      }),
      webApp: false,
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    const baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    return {
      app,
      baseUrl,
      config,
      db,
      temporal: env,
      mailDir,
      workerDeps: worker.deps,
      close: async () => {
        await app.close();
        mailer.close();
        await close();
      },
    };
  } catch (err) {
    await close();
    throw err;
  }
}
