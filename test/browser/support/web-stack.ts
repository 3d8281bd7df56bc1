import path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { AppConfig } from '../../../src/config/config';
import { startMailSink, type MailSink } from '../../../src/mail-sink';
import { webAppBuilt } from '../../../src/api/web-dist';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { freePort, readMailbox, tempDir, waitFor, type ReceivedEmail } from '../../support/mail';
import { startTestTemporal } from '../../support/temporal';
import { startTestWorker, testConfig, type TestWorker } from '../../support/worker';

const PROJECT_ROOT = path.resolve(__dirname, '../../..');

/** The bundled five-ticker sample (data/sample). */
export const SAMPLE_CSV_DIR = path.join(PROJECT_ROOT, 'data/sample');

export const WEB_API_KEY = 'browser-test-admin-key';

export interface WebStackOptions {
  /** Configured tickers (default the sample's AAPL and MSFT). */
  tickers?: string[];
  /** CSV directory the worker ingests from (default data/sample). */
  csvDir?: string;
}

/** The whole stack a browser test drives, private to the test file. */
export interface WebStack {
  /** e.g. http://127.0.0.1:41234: the API serving the web app under /app/. */
  baseUrl: string;
  apiKey: string;
  config: AppConfig;
  database: TestDatabase;
  temporal: TestWorkflowEnvironment;
  worker: TestWorker;
  sink: MailSink;
  mailDir: string;
  /** Every message in the sink, parsed. */
  mail(): Promise<ReceivedEmail[]>;
  /** Wait until a message to `to` (and matching `subject` when given) arrives. */
  waitForMail(to: string, subject?: RegExp, timeoutMs?: number): Promise<ReceivedEmail>;
  /** JSON call to the API (admin key sent when `admin`). */
  call(method: string, url: string, body?: unknown, admin?: boolean): Promise<{ status: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  stop(): Promise<void>;
}

/**
 * Start the real stack for one browser test file: a private Postgres
 * database, Redis (private key prefix), a Temporal dev server with an
 * in-process worker wired like src/worker.ts, the SMTP mail sink, and the API
 * as its own process (`src/api/main.ts`, as `algo stack up` starts it) on a
 * free port, serving the built web app. Builds the web app first if it is not built.
 */
export async function startWebStack(options: WebStackOptions = {}): Promise<WebStack> {
  ensureWebBuilt();
  const database = await createTestDatabase('algo_web');
  const mailDir = tempDir('algo-web-mail-');
  const sink = await startMailSink({ port: 0, dir: mailDir });
  const temporal = await startTestTemporal();
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const config = testConfig({
    databaseUrl: database.url,
    temporalAddress: temporal.address,
    csvDir: options.csvDir ?? SAMPLE_CSV_DIR,
    smtpPort: sink.port,
    tickers: options.tickers ?? ['AAPL', 'MSFT'],
  });
  config.api.publicUrl = baseUrl;
  config.api.apiKey = WEB_API_KEY;
  const worker = await startTestWorker(temporal, config);
  let api: ChildProcess | undefined;
  try {
    api = await startApiProcess({
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
      REDIS_KEY_PREFIX: config.redis.keyPrefix,
      SMTP_PORT: String(sink.port),
      API_HOST: '127.0.0.1',
      API_PORT: String(port),
      API_KEY: WEB_API_KEY,
      PUBLIC_URL: baseUrl,
      TOKEN_SECRETS: config.api.tokenSecrets.join(','),
      ALGO_CSV_DIR: options.csvDir ?? SAMPLE_CSV_DIR,
      ALGO_TICKERS: config.tickers.join(','),
      LOG_LEVEL: 'warn',
    });
  } catch (err) {
    await worker.stop();
    await temporal.teardown();
    await sink.close();
    await database.destroy();
    throw err;
  }
  const apiProcess = api;

  const stack: WebStack = {
    baseUrl,
    apiKey: WEB_API_KEY,
    config,
    database,
    temporal,
    worker,
    sink,
    mailDir,
    mail: () => readMailbox(mailDir),
    waitForMail: (to, subject, timeoutMs = 30_000) =>
      waitFor(
        `an email to ${to}${subject ? ` matching ${subject}` : ''}`,
        async () => (await readMailbox(mailDir)).find((m) => m.to === to && (!subject || subject.test(m.subject))),
        timeoutMs,
        100,
      ),
    async call(method, url, body, admin) {
      const res = await fetch(`${baseUrl}${url}`, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(admin ? { 'x-api-key': WEB_API_KEY } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        redirect: 'manual',
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        /* not JSON */
      }
      return { status: res.status, body: parsed };
    },
    async stop() {
      await stopProcess(apiProcess);
      await worker.stop();
      await temporal.teardown();
      await sink.close();
      await database.destroy();
    },
  };
  return stack;
}

/** `npm run build:web` once when dist/web is missing (a test run on a fresh clone). */
function ensureWebBuilt(): void {
  if (webAppBuilt()) return;
  const { status, stderr } = spawnSync('npm', ['run', '--silent', 'build:web'], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
  });
  if (status !== 0) throw new Error(`npm run build:web failed: ${stderr}`);
}

/** Start src/api/main.ts (node with tsx as a loader, so the child is the API itself); resolves once it listens. */
function startApiProcess(env: Record<string, string>): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/api/main.ts'], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    const onData = (d: Buffer) => {
      log += d.toString();
      if (log.includes('api ready on')) resolve(child);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => {
      onData(d);
      if (process.env.WEB_STACK_LOG) process.stderr.write(d);
    });
    child.on('exit', (code, signal) => reject(new Error(`api exited (${code ?? signal}): ${log.slice(-2000)}`)));
  });
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
