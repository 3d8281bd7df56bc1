import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadConfig, type AppConfig } from '../../src/config/config';
import { dropDatabase } from '../../src/adapters/postgres/migrate';
import { registerStackCommands } from '../../src/cli/commands/stack.command';
import { isAlive } from '../../src/stack/processes';
import { stackDown, stackStatus, stackUp, type StackPart } from '../../src/stack/stack';
import { logLineReady, STACK_PROCESSES, type ManagedProcess } from '../../src/stack/stack-processes';
import {
  defaultTemporalCacheDir,
  resolveTemporalBinary,
  TEMPORAL_CLI_FALLBACK_VERSIONS,
  TEMPORAL_CLI_VERSION,
} from '../../src/stack/temporal-binary';
import { startTestTemporal } from '../support/temporal';
import { TEST_POSTGRES_URL } from '../support/database';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const byName = <P extends { name: string }>(parts: readonly P[]): Record<string, P> =>
  Object.fromEntries(parts.map((p) => [p.name, p]));

describe('resolveTemporalBinary', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'algo-bin-'));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('prefers the configured path, and rejects one that is not an executable', async () => {
    const configured = path.join(tmp, 'my-temporal');
    fs.writeFileSync(configured, '#!/bin/sh\n', { mode: 0o755 });
    await expect(resolveTemporalBinary({ configured, pathEnv: '' })).resolves.toBe(configured);
    await expect(resolveTemporalBinary({ configured: path.join(tmp, 'missing'), pathEnv: '' })).rejects.toThrow(
      /is not an executable file/,
    );
  });

  it('takes `temporal` on PATH before the cache', async () => {
    const dir = path.join(tmp, 'path-bin');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'temporal'), '#!/bin/sh\n', { mode: 0o755 });
    await expect(
      resolveTemporalBinary({
        pathEnv: `/nonexistent${path.delimiter}${dir}`,
        cacheDir: path.join(tmp, 'empty-cache'),
      }),
    ).resolves.toBe(path.join(dir, 'temporal'));
  });

  it('reuses the cached binary (no PATH, no Go needed); the cache lives under XDG_CACHE_HOME', async () => {
    expect(defaultTemporalCacheDir({ XDG_CACHE_HOME: '/x/cache' })).toBe('/x/cache/algo-signals/bin');
    expect(defaultTemporalCacheDir({})).toBe(path.join(os.homedir(), '.cache', 'algo-signals', 'bin'));
    const cacheDir = path.join(tmp, 'cache');
    fs.mkdirSync(cacheDir);
    fs.writeFileSync(path.join(cacheDir, 'temporal'), '#!/bin/sh\n', { mode: 0o755 });
    await expect(resolveTemporalBinary({ pathEnv: '', cacheDir, go: '/nonexistent/go' })).resolves.toBe(
      path.join(cacheDir, 'temporal'),
    );
  });

  it('builds with Go into the cache, falling back to an older release when the proxy refuses the pinned one', async () => {
    const cacheDir = path.join(tmp, 'go-cache');
    const calls = path.join(tmp, 'go-calls.txt');
    // A stand-in `go` that refuses v1.5.1 the way the proxy would and "installs" v1.5.0 into GOBIN.
    const go = path.join(tmp, 'go');
    fs.writeFileSync(
      go,
      `#!/bin/sh\necho "$@" >> ${calls}\ncase "$2" in *@v1.5.1) echo "not found: v1.5.1" >&2; exit 1;; esac\nprintf '#!/bin/sh\\necho built\\n' > "$GOBIN/temporal"; chmod +x "$GOBIN/temporal"\n`,
      { mode: 0o755 },
    );
    const log: string[] = [];
    await expect(resolveTemporalBinary({ pathEnv: '', cacheDir, go, log: (l) => log.push(l) })).resolves.toBe(
      path.join(cacheDir, 'temporal'),
    );
    expect(fs.readFileSync(calls, 'utf8').trim().split('\n')).toEqual([
      `install github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}`,
      `install github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_FALLBACK_VERSIONS[0]}`,
    ]);
    expect(log.some((l) => l.includes('not found: v1.5.1'))).toBe(true);
  });

  it('returns null when there is no binary and no Go, so the caller uses the SDK download', async () => {
    await expect(
      resolveTemporalBinary({ pathEnv: '', cacheDir: path.join(tmp, 'no-cache'), go: null }),
    ).resolves.toBeNull();
  });
});

describe('startTestTemporal', () => {
  let first: TestWorkflowEnvironment;
  let second: TestWorkflowEnvironment;
  afterAll(async () => {
    await first?.teardown();
    await second?.teardown();
  });

  it('runs two private dev servers side by side on free ports', async () => {
    [first, second] = await Promise.all([startTestTemporal(), startTestTemporal()]);
    expect(first.address).not.toBe(second.address);
    for (const env of [first, second]) {
      const { namespaceInfo } = await env.connection.workflowService.describeNamespace({ namespace: 'default' });
      expect(namespaceInfo?.name).toBe('default');
    }
  });
});

/**
 * A real child process for the process manager: listens on a port, logs, and
 * starts a grandchild in its process group, so `stack down` must stop the group.
 */
function probeProcess(name: string, port: number): ManagedProcess {
  const script = [
    `const { spawn } = require('node:child_process');`,
    `const child = spawn('sleep', ['300'], { stdio: 'ignore' });`,
    `console.log('grandchild ' + child.pid);`,
    `require('node:net').createServer((s) => s.end()).listen(${port}, '127.0.0.1', () => console.log('probe listening'));`,
  ].join('\n');
  return {
    name,
    stage: 1,
    command: () => [process.execPath, '-e', script],
    ready: logLineReady(/probe listening/),
    port: () => ({ host: '127.0.0.1', port }),
    address: () => `tcp://127.0.0.1:${port}`,
    startTimeoutMs: 10_000,
  };
}

describe('stack up | status | down', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'algo-stack-'));
  const databaseUrl = (() => {
    const url = new URL(TEST_POSTGRES_URL);
    url.pathname = `/algo_stack_test_${crypto.randomBytes(4).toString('hex')}`;
    return url.toString();
  })();
  let env: NodeJS.ProcessEnv;
  let config: AppConfig;
  let processes: ManagedProcess[];
  let external: net.Server;
  let externalPort: number;
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    const [temporalPort, uiPort, probePort, smtpPort, apiPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    externalPort = await freePort();
    const configFile = path.join(dataDir, 'test-config.yaml');
    fs.writeFileSync(configFile, `temporal:\n  devServer:\n    uiPort: ${uiPort}\n`);
    env = {
      ...process.env,
      ALGO_CONFIG: configFile,
      ALGO_DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
      SMTP_PORT: String(smtpPort),
      API_PORT: String(apiPort),
    };
    config = loadConfig(env);
    processes = [...STACK_PROCESSES, probeProcess('probe', probePort), probeProcess('external-probe', externalPort)];
    // Something `stack up` did not start already serves this part: it must be used, never stopped.
    external = net.createServer((s) => s.end());
    await new Promise<void>((resolve) => external.listen(externalPort, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    process.env = savedEnv;
    await stackDown(config, { processes, graceMs: 2000 }).catch(() => undefined);
    await new Promise((resolve) => external.close(resolve));
    await dropDatabase(databaseUrl);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('brings every part up on private ports, creating and migrating the database', async () => {
    const before = byName((await stackStatus(config, { processes })).parts);
    expect(before.temporal.status).toBe('down');
    expect(before.worker.status).toBe('down');

    const lines: string[] = [];
    const up = byName((await stackUp(config, { processes, log: (l) => lines.push(l) })).parts);
    expect(Object.keys(up)).toEqual([
      'temporal',
      'temporal-ui',
      'postgres',
      'redis',
      'worker',
      'mail-sink',
      'api',
      'probe',
      'external-probe',
    ]);
    for (const part of Object.values(up))
      expect({ name: part.name, status: part.status }).toEqual({ name: part.name, status: 'up' });
    expect(up.temporal).toMatchObject({ action: 'started', address: config.temporal.address, pid: expect.any(Number) });
    expect(up['temporal-ui'].address).toBe(`http://127.0.0.1:${config.temporal.devServer.uiPort}`);
    expect(up.worker).toMatchObject({ action: 'started', log: path.join(dataDir, 'logs', 'worker.log') });
    expect(up['mail-sink']).toMatchObject({
      action: 'started',
      address: `smtp://127.0.0.1:${config.mail.port} (messages in ${path.join(dataDir, 'mail')})`,
    });
    expect(up.api).toMatchObject({ action: 'started', address: `http://127.0.0.1:${config.api.port} (docs: /docs)` });
    expect(up['external-probe']).toMatchObject({ action: 'external' });
    expect(up['external-probe'].pid).toBeUndefined();
    expect(lines.some((l) => l.includes('created database'))).toBe(true);
    expect(fs.existsSync(path.join(dataDir, 'temporal', 'temporal.db'))).toBe(true);
    expect(fs.readFileSync(path.join(dataDir, 'logs', 'worker.log'), 'utf8')).toMatch(/worker ready/);

    // The dev server knows the namespace and answers a real client.
    const connection = await Connection.connect({ address: config.temporal.address });
    try {
      const { namespaceInfo } = await connection.workflowService.describeNamespace({
        namespace: config.temporal.namespace,
      });
      expect(namespaceInfo?.name).toBe(config.temporal.namespace);
    } finally {
      await connection.close();
    }
    const docs = await fetch(`http://127.0.0.1:${config.api.port}/docs`);
    expect(docs.status).toBeLessThan(400);
  });

  it('is idempotent: a second `stack up` leaves the same processes running', async () => {
    const first = byName((await stackStatus(config, { processes })).parts);
    // Two at once: the stack lock makes the second wait, and neither starts anything.
    const [once, twice] = await Promise.all([stackUp(config, { processes }), stackUp(config, { processes })]);
    expect(byName(twice.parts).worker.pid).toBe(first.worker.pid);
    const again = byName(once.parts);
    for (const name of ['temporal', 'worker', 'mail-sink', 'api', 'probe']) {
      expect({ ...again[name], name }).toMatchObject({
        name,
        status: 'up',
        action: 'already-running',
        pid: first[name].pid,
      });
    }
  });

  it('`algo --json stack status` prints only {"parts": [...]} on stdout', async () => {
    process.env = env;
    const program = new Command('algo').option('--json').exitOverride();
    registerStackCommands(program);
    const written: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      await program.parseAsync(['node', 'algo', '--json', 'stack', 'status']);
    } finally {
      spy.mockRestore();
      process.env = savedEnv;
    }
    const { parts } = JSON.parse(written.join('')) as { parts: StackPart[] };
    expect(parts.map((p) => p.name)).toEqual([
      'temporal',
      'temporal-ui',
      'postgres',
      'redis',
      'worker',
      'mail-sink',
      'api',
    ]);
    for (const part of parts) {
      expect(['up', 'down']).toContain(part.status);
      expect(typeof part.address).toBe('string');
    }
    const parts_ = byName(parts);
    expect(parts_.temporal).toMatchObject({ status: 'up', pid: expect.any(Number) });
    for (const name of ['worker', 'mail-sink', 'api'])
      expect(parts_[name]).toMatchObject({ status: 'up', pid: expect.any(Number) });
    expect(parts_.postgres.address).toBe(databaseUrl);
  });

  it('`stack down` stops exactly what `stack up` started, process groups included', async () => {
    const running = byName((await stackStatus(config, { processes })).parts);
    const probeLog = fs.readFileSync(path.join(dataDir, 'logs', 'probe.log'), 'utf8');
    const grandchild = Number(/grandchild (\d+)/.exec(probeLog)![1]);
    expect(isAlive(grandchild)).toBe(true);

    const down = byName((await stackDown(config, { processes, graceMs: 10_000 })).parts);
    expect(down.temporal).toMatchObject({ action: 'stopped', pid: running.temporal.pid });
    for (const name of ['worker', 'mail-sink', 'api'])
      expect(down[name]).toMatchObject({ action: 'stopped', pid: running[name].pid });
    expect(down.probe.action).toMatch(/stopped|killed/);
    expect(down['external-probe'].action).toBe('not-running');
    for (const name of ['temporal', 'worker', 'mail-sink', 'api', 'probe'])
      expect(isAlive(running[name].pid!)).toBe(false);
    expect(isAlive(grandchild)).toBe(false);

    const after = byName((await stackStatus(config, { processes })).parts);
    for (const name of ['temporal', 'temporal-ui', 'worker', 'mail-sink', 'api', 'probe'])
      expect(after[name].status).toBe('down');
    // Not ours: still up.
    expect(after['external-probe'].status).toBe('up');
    expect(after.postgres.status).toBe('up');
    expect(after.redis.status).toBe('up');
    expect(fs.readdirSync(path.join(dataDir, 'run'))).toEqual([]);
  });

  it('fails with the log when a process dies while starting, and records nothing', async () => {
    const crasher: ManagedProcess = {
      name: 'crasher',
      stage: 1,
      command: () => [process.execPath, '-e', "console.error('cannot open the frobnicator'); process.exit(3)"],
      ready: logLineReady(/never printed/),
      address: () => 'nowhere',
      startTimeoutMs: 10_000,
    };
    await expect(stackUp(config, { processes: [crasher] })).rejects.toThrow(
      /crasher exited while starting; see .*crasher\.log:\n.*cannot open the frobnicator/s,
    );
    expect(byName((await stackStatus(config, { processes: [crasher] })).parts).crasher.status).toBe('down');
    expect(fs.existsSync(path.join(dataDir, 'run', 'crasher.pid.json'))).toBe(false);
  });
});
