import { Client, Connection } from '@temporalio/client';
import { loadConfig, type AppConfig } from '../../src/config/config';
import { dropDatabase } from '../../src/adapters/postgres/migrate';
import { temporalDatabaseState } from '../../src/stack/production-server';
import { stackDown, stackStatus, stackUp, type StackPart } from '../../src/stack/stack';
import { temporalServer, temporalUi, worker, type StackContext } from '../../src/stack/stack-processes';
import { temporalServerPorts } from '../../src/stack/temporal-server';
import type { ingestPricesWorkflow } from '../../src/workflows';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { productionConfig, requireProductionBinaries } from '../support/production-temporal';
import { freePort } from '../support/mail';

// Production mode end to end: `algo stack up` with temporal.server=postgres builds
// nothing here (.ci/run has built the binaries into the cache), sets up the server's
// two databases on the app's Postgres, starts the real Temporal server 1.29.1 and its
// UI server, registers the namespace with the configured retention, and a worker runs
// a workflow on it; a second `stack up` and a restart are idempotent.
requireProductionBinaries();

const byName = <P extends { name: string }>(parts: readonly P[]): Record<string, P> =>
  Object.fromEntries(parts.map((p) => [p.name, p]));

const DAY_SECONDS = 86_400;

async function retentionDays(config: AppConfig): Promise<number> {
  const connection = await Connection.connect({ address: config.temporal.address });
  try {
    const described = await connection.workflowService.describeNamespace({ namespace: config.temporal.namespace });
    return Number(described.config!.workflowExecutionRetentionTtl!.seconds) / DAY_SECONDS;
  } finally {
    await connection.close();
  }
}

describe('algo stack up in production mode (temporal.server: postgres)', () => {
  const processes = [temporalServer, temporalUi, worker];
  let database: TestDatabase;
  let config: AppConfig;
  const lines: string[] = [];
  const log = (line: string) => lines.push(line);

  beforeAll(async () => {
    database = await createTestDatabase();
    config = await productionConfig(database.url);
    config.temporal.production.uiPort = await freePort();
  }, 60_000);

  afterAll(async () => {
    if (config) {
      await stackDown(config, { processes, graceMs: 10_000 }).catch(() => undefined);
      for (const name of [config.temporal.production.database, config.temporal.production.visibilityDatabase]) {
        const url = new URL(database.url);
        url.pathname = `/${name}`;
        await dropDatabase(url.toString()).catch(() => undefined);
      }
    }
    await database?.destroy();
  }, 60_000);

  it('reads TEMPORAL_SERVER and TEMPORAL_RETENTION_DAYS, and refuses a retention under a day', () => {
    expect(loadConfig({}).temporal.server).toBe('dev');
    expect(loadConfig({ TEMPORAL_SERVER: 'postgres' }).temporal.server).toBe('postgres');
    expect(() => loadConfig({ TEMPORAL_SERVER: 'sqlite' })).toThrow(/temporal\.server/);
    expect(loadConfig({ TEMPORAL_RETENTION_DAYS: '7' }).temporal.production.retentionDays).toBe(7);
    expect(() => loadConfig({ TEMPORAL_RETENTION_DAYS: '0' })).toThrow(/temporal\.production\.retentionDays/);
    expect(() => loadConfig({ TEMPORAL_RETENTION_DAYS: 'a week' })).toThrow(/temporal\.production\.retentionDays/);
    expect(temporalUi.enabled?.({ config: loadConfig({}) } as StackContext)).toBe(false);
    expect(() => temporalServerPorts(40_000)).toThrow(/smallint/);
  });

  it('starts the server on Postgres, registers the namespace, serves the UI, and a worker runs a workflow', async () => {
    const up = byName((await stackUp(config, { processes, log })).parts);
    expect(up.temporal).toMatchObject({ status: 'up', action: 'started' });
    expect(up['temporal-ui']).toMatchObject({
      status: 'up',
      action: 'started',
      address: `http://127.0.0.1:${config.temporal.production.uiPort}`,
    });
    expect(up.worker).toMatchObject({ status: 'up', action: 'started' });
    expect(lines.join('\n')).toMatch(/creating database temporal_t/);
    expect(lines.join('\n')).toMatch(/namespace default registered \(retention 30 days\)/);
    expect(await retentionDays(config)).toBe(30);
    for (const name of [config.temporal.production.database, config.temporal.production.visibilityDatabase])
      expect(await temporalDatabaseState(database.url, name)).toEqual({ exists: true, hasSchema: true });

    // The UI server answers with the web app, and its API reaches the server's namespace.
    const ui = `http://127.0.0.1:${config.temporal.production.uiPort}`;
    const page = await fetch(`${ui}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<html/i);
    const namespaces = (await (await fetch(`${ui}/api/v1/namespaces`)).json()) as {
      namespaces: { namespaceInfo: { name: string } }[];
    };
    expect(namespaces.namespaces.map((n) => n.namespaceInfo.name)).toContain('default');

    const connection = await Connection.connect({ address: config.temporal.address });
    try {
      const client = new Client({ connection, namespace: config.temporal.namespace });
      const result = await client.workflow.execute<typeof ingestPricesWorkflow>('ingestPricesWorkflow', {
        taskQueue: config.temporal.taskQueue,
        workflowId: `production-mode-ingest-${config.temporal.taskQueue}`,
        args: [{ tickers: ['AAPL'], asOf: '2018-02-07', provider: 'csv' }],
      });
      expect(result.tickers).toEqual([expect.objectContaining({ ticker: 'AAPL', status: 'ok' })]);
    } finally {
      await connection.close();
    }

    const status = byName<StackPart>((await stackStatus(config, { processes })).parts);
    expect(status.temporal.status).toBe('up');
    expect(status['temporal-ui'].status).toBe('up');
  }, 600_000);

  it('is idempotent: a second stack up changes the retention only; a restart keeps the history in Postgres', async () => {
    config.temporal.production.retentionDays = 7;
    lines.length = 0;
    const again = byName((await stackUp(config, { processes, log })).parts);
    expect(again.temporal.action).toBe('already-running');
    expect(lines.join('\n')).toMatch(/namespace default retention updated \(retention 7 days\)/);
    expect(await retentionDays(config)).toBe(7);

    const down = byName((await stackDown(config, { processes, graceMs: 20_000 })).parts);
    expect(down.temporal.action).toMatch(/stopped|killed/);
    expect(down['temporal-ui'].action).toMatch(/stopped|killed/);
    expect(byName<StackPart>((await stackStatus(config, { processes })).parts).temporal.status).toBe('down');

    lines.length = 0;
    const restarted = byName((await stackUp(config, { processes: [temporalServer], log })).parts);
    expect(restarted.temporal.action).toBe('started');
    expect(lines.join('\n')).not.toMatch(/creating database/);
    expect(lines.join('\n')).toMatch(/namespace default unchanged/);
    const connection = await Connection.connect({ address: config.temporal.address });
    try {
      const client = new Client({ connection, namespace: config.temporal.namespace });
      const described = await client.workflow
        .getHandle(`production-mode-ingest-${config.temporal.taskQueue}`)
        .describe();
      expect(described.status.name).toBe('COMPLETED');
    } finally {
      await connection.close();
    }
  }, 600_000);
});
