import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import pg from 'pg';
import {
  freeTemporalServerPorts,
  goModCache,
  postgresSchemaDir,
  setupTemporalSchemas,
  writeTemporalServerConfig,
  type TemporalPersistence,
} from '../../src/stack/temporal-server';
import { defaultTemporalCacheDir } from '../../src/stack/temporal-binary';
import { freePort, tempDir, waitFor } from '../support/mail';
import { canCreateCluster, createPrivatePostgres, type PrivatePostgres } from '../support/private-postgres';

// Production mode's server: the real Temporal server 1.29.1 (built with `go install`
// into the cache), its schemas set up by its sql tool in two databases of a
// private Postgres cluster, and a workflow start that lands in Postgres.
const bin = defaultTemporalCacheDir();
const serverBinary = path.join(bin, 'server');
const sqlTool = path.join(bin, 'sql');
// .ci/run builds both binaries when they are missing; without them this suite fails and says how to build them.
const missing = [serverBinary, sqlTool].filter((file) => !fs.existsSync(file));
if (missing.length > 0 || !canCreateCluster()) {
  throw new Error(
    `production-mode tests need ${missing.join(' and ') || 'the binaries'} and pg_createcluster as root: ` +
      `GOBIN=${bin} go install go.temporal.io/server/cmd/server@v1.29.1 go.temporal.io/server/cmd/tools/sql@v1.29.1`,
  );
}
const describeWithServer = describe;

describeWithServer('the self-hosted Temporal server on Postgres', () => {
  let postgres: PrivatePostgres;
  let server: ChildProcess | undefined;
  let persistence: TemporalPersistence;
  let log = '';

  beforeAll(async () => {
    postgres = await createPrivatePostgres(await freePort());
    persistence = {
      host: '127.0.0.1',
      port: postgres.port,
      user: 'postgres',
      database: 'temporal',
      visibilityDatabase: 'temporal_visibility',
    };
  }, 60_000);

  afterAll(async () => {
    server?.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    server?.kill('SIGKILL');
    await postgres?.drop();
  });

  async function existing(database: string) {
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    try {
      const found = await admin.query('select 1 from pg_database where datname = $1', [database]);
      if (found.rowCount === 0) return { exists: false, hasSchema: false };
    } finally {
      await admin.end();
    }
    const db = new pg.Client({ connectionString: postgres.url.replace(/\/postgres$/, `/${database}`) });
    await db.connect();
    try {
      const table = await db.query<{ t: string | null }>(`select to_regclass('schema_version')::text as t`);
      return { exists: true, hasSchema: table.rows[0].t !== null };
    } finally {
      await db.end();
    }
  }

  it('sets up both schemas (twice: the second is a no-op), starts, and keeps a started workflow in Postgres', async () => {
    const schemaDir = postgresSchemaDir(
      await goModCache(fs.existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : 'go'),
    );
    expect(fs.existsSync(path.join(schemaDir, 'temporal', 'versioned'))).toBe(true);
    await setupTemporalSchemas({ sqlTool, schemaDir, persistence, existing });
    await setupTemporalSchemas({ sqlTool, schemaDir, persistence, existing });
    expect(await existing('temporal')).toEqual({ exists: true, hasSchema: true });
    expect(await existing('temporal_visibility')).toEqual({ exists: true, hasSchema: true });

    const ports = await freeTemporalServerPorts();
    const frontend = ports.frontend;
    const root = tempDir('algo-temporal-server-');
    const args = writeTemporalServerConfig(root, { persistence, ports });
    server = spawn(serverBinary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    server.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));

    const connection = await waitFor(
      'the frontend to answer',
      async () => {
        if (server!.exitCode !== null) throw new Error(`server exited ${server!.exitCode}: ${log.slice(-2000)}`);
        try {
          const c = await Connection.connect({ address: `127.0.0.1:${frontend}`, connectTimeout: '1s' });
          await c.workflowService.getSystemInfo({});
          return c;
        } catch {
          return undefined;
        }
      },
      90_000,
      500,
    );
    try {
      await connection.workflowService.registerNamespace({
        namespace: 'default',
        workflowExecutionRetentionPeriod: msToTs('1 day'),
      });
      const client = new Client({ connection, namespace: 'default' });
      // The namespace cache refreshes every few seconds: retry the start until it knows "default".
      const handle = await waitFor(
        'the namespace to be usable',
        async () => {
          try {
            return await client.workflow.start('noSuchWorkflow', {
              taskQueue: 'nobody-polls',
              workflowId: 'production-mode-smoke',
              args: [],
            });
          } catch {
            return undefined;
          }
        },
        60_000,
        500,
      );
      expect((await handle.describe()).status.name).toBe('RUNNING');
      const db = new pg.Client({ connectionString: postgres.url.replace(/\/postgres$/, '/temporal') });
      await db.connect();
      try {
        const rows = await db.query('select workflow_id from current_executions where workflow_id = $1', [
          'production-mode-smoke',
        ]);
        expect(rows.rowCount).toBe(1);
      } finally {
        await db.end();
      }
      await handle.terminate('smoke test done');
    } finally {
      await connection.close();
    }
  }, 240_000);
});
