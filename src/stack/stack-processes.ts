import path from 'node:path';
import type { AppConfig } from '../config/config';
import { isPortOpen, logHasLine } from './processes';
import { isLocalTemporal, splitAddress, temporalAnswers } from './services';
import {
  ensureNamespace,
  prepareProductionServer,
  prepareProductionUi,
  temporalFrontendAnswers,
} from './production-server';
import { ensureTemporalBinary } from './temporal-binary';

/** What an entry's functions receive. */
export interface StackContext {
  config: AppConfig;
  projectRoot: string;
  /** `<dataDir>/logs`, `<dataDir>/run`. */
  logsDir: string;
  runDir: string;
  log: (line: string) => void;
}

/**
 * How to tell a started process is ready. `logOffset` is where its log stood
 * before this start, so an old "ready" line from a previous run never counts.
 */
export type ReadinessCheck = (ctx: StackContext, logFile: string, logOffset: number) => Promise<boolean>;

/** Ready when the process's log shows a matching line (since this start). */
export const logLineReady =
  (pattern: RegExp): ReadinessCheck =>
  async (_ctx, logFile, logOffset) =>
    logHasLine(logFile, pattern, logOffset);

/**
 * One process `stack up` starts and `stack down` stops. Adding a process to the
 * stack is adding one of these to {@link STACK_PROCESSES}.
 */
export interface ManagedProcess {
  /** Part name in `stack status`; also names the pid file and the log (`<name>.log`). */
  name: string;
  /** Whether this machine runs it (the Temporal dev server only when Temporal is local). */
  enabled?: (ctx: StackContext) => boolean;
  /** Its entry file, relative to the project root: a clear error when it is missing. */
  entry?: string;
  /** Entries of one stage start together; a stage starts when the previous one is ready. */
  stage: number;
  /** Extra environment for it (on top of the caller's and the config's). */
  env?: (ctx: StackContext) => Record<string, string>;
  /** argv; the first element is the executable. Run from the project root. */
  command: (ctx: StackContext) => Promise<string[]> | string[];
  /** A TCP endpoint that must answer for a running process to count as up; none for log-line processes. */
  port?: (ctx: StackContext) => { host: string; port: number };
  /** Checked after the start, until it is true or `startTimeoutMs` passes; default: `port` answers. */
  ready?: ReadinessCheck;
  /** Run once it is up (started now, or already running), before the next stage starts: setup it needs at every start. */
  afterReady?: (ctx: StackContext) => Promise<void>;
  /** Whether what answers on `port` is this service, when `stack up` did not start it; default: any answer counts. */
  recognize?: (ctx: StackContext) => Promise<boolean>;
  /** Where a user finds it. */
  address: (ctx: StackContext) => string;
  startTimeoutMs: number;
}

/** A TypeScript entry point run with tsx's require hook: one node process, so its pid is the real one. */
export function tsxCommand(ctx: StackContext, entry: string): string[] {
  return [process.execPath, '--require', 'tsx/cjs', path.join(ctx.projectRoot, entry)];
}

const isLocalHost = (host: string) => ['127.0.0.1', 'localhost', '::1'].includes(host);

/** The sink listens where the app sends mail (config `mail.port`), and runs only when that is this machine. */
export function mailSinkPort(config: AppConfig): number {
  return config.mail.port;
}
export function apiPort(config: AppConfig): number {
  return config.api.port;
}
/** Where to reach the API: its bind address, or loopback when it binds every interface. */
function apiHost(config: AppConfig): string {
  return ['0.0.0.0', '::', ''].includes(config.api.host) ? '127.0.0.1' : config.api.host;
}

/** Where the dev server keeps its state (SQLite), so runs survive a restart. */
export function devServerDatabaseFile(config: AppConfig): string {
  return path.join(config.dataDir, 'temporal', 'temporal.db');
}

/** The CLI's dev server's command: state in {@link devServerDatabaseFile}. */
async function devServerCommand(ctx: StackContext): Promise<string[]> {
  const { config } = ctx;
  const binary = await ensureTemporalBinary({ configured: config.temporal.devServer.binary, log: ctx.log });
  const { host, port } = splitAddress(config.temporal.address);
  const args = [
    binary,
    'server',
    'start-dev',
    '--ip',
    host === 'localhost' ? '127.0.0.1' : host,
    '--port',
    String(port),
    '--ui-port',
    String(config.temporal.devServer.uiPort),
    '--db-filename',
    devServerDatabaseFile(config),
    '--log-level',
    'warn',
  ];
  // "default" always exists; others are created at start.
  if (config.temporal.namespace !== 'default') args.push('--namespace', config.temporal.namespace);
  return args;
}

const isProductionMode = (ctx: StackContext) => ctx.config.temporal.server === 'postgres';

/**
 * The local Temporal server: the dev server (`temporal.server: dev`), or in
 * production mode (`postgres`) the Temporal server on the app's Postgres,
 * its schemas set up and its namespace registered at every start.
 */
export const temporalServer: ManagedProcess = {
  name: 'temporal',
  stage: 0,
  enabled: (ctx) => isLocalTemporal(ctx.config),
  command: (ctx) => (isProductionMode(ctx) ? prepareProductionServer(ctx.config, ctx.log) : devServerCommand(ctx)),
  // The dev server's UI comes up a moment after its frontend; users are sent to it, so wait for both.
  // The production server has no namespace until afterReady registers it: its frontend answering is enough.
  ready: async (ctx) =>
    isProductionMode(ctx)
      ? temporalFrontendAnswers(ctx.config)
      : (await temporalAnswers(ctx.config)) && isPortOpen('127.0.0.1', ctx.config.temporal.devServer.uiPort, 500),
  async afterReady(ctx) {
    if (!isProductionMode(ctx)) return;
    const action = await ensureNamespace(ctx.config);
    const { namespace, production } = ctx.config.temporal;
    ctx.log(
      `temporal: namespace ${namespace} ${action.replace('-', ' ')} (retention ${production.retentionDays} days)`,
    );
  },
  recognize: (ctx) => (isProductionMode(ctx) ? temporalFrontendAnswers(ctx.config) : temporalAnswers(ctx.config)),
  port: (ctx) => splitAddress(ctx.config.temporal.address),
  address: (ctx) => ctx.config.temporal.address,
  // A first production start also sets up the schemas before the frontend answers.
  startTimeoutMs: 120_000,
};

/** Production mode's Web UI (the Temporal UI server); the dev server serves its own. */
export const temporalUi: ManagedProcess = {
  name: 'temporal-ui',
  // After the server's stage, which builds the binaries this one runs.
  stage: 1,
  enabled: (ctx) => isLocalTemporal(ctx.config) && isProductionMode(ctx),
  command: (ctx) => prepareProductionUi(ctx.config, ctx.log),
  port: (ctx) => ({ host: '127.0.0.1', port: ctx.config.temporal.production.uiPort }),
  address: (ctx) => `http://127.0.0.1:${ctx.config.temporal.production.uiPort}`,
  startTimeoutMs: 30_000,
};

export const worker: ManagedProcess = {
  name: 'worker',
  stage: 1,
  entry: 'src/worker.ts',
  command: (ctx) => tsxCommand(ctx, 'src/worker.ts'),
  // src/worker.ts prints this once Worker.create has succeeded.
  ready: logLineReady(/worker ready/),
  address: (ctx) => `task queue ${ctx.config.temporal.taskQueue} on ${ctx.config.temporal.address}`,
  startTimeoutMs: 90_000,
};

export const mailSink: ManagedProcess = {
  name: 'mail-sink',
  stage: 1,
  enabled: (ctx) => isLocalHost(ctx.config.mail.host),
  env: (ctx) => ({ MAIL_SINK_PORT: String(mailSinkPort(ctx.config)) }),
  entry: 'src/mail-sink/main.ts',
  command: (ctx) => tsxCommand(ctx, 'src/mail-sink/main.ts'),
  port: (ctx) => ({ host: '127.0.0.1', port: mailSinkPort(ctx.config) }),
  address: (ctx) =>
    `smtp://127.0.0.1:${mailSinkPort(ctx.config)} (messages in ${path.join(ctx.config.dataDir, 'mail')})`,
  startTimeoutMs: 30_000,
};

export const api: ManagedProcess = {
  name: 'api',
  stage: 1,
  entry: 'src/api/main.ts',
  command: (ctx) => tsxCommand(ctx, 'src/api/main.ts'),
  port: (ctx) => ({ host: apiHost(ctx.config), port: apiPort(ctx.config) }),
  address: (ctx) => `http://${apiHost(ctx.config)}:${apiPort(ctx.config)} (docs: /docs)`,
  startTimeoutMs: 30_000,
};

/** Every process the stack manages, in start order (stopped in reverse). Temporal first: the others connect to it. */
export const STACK_PROCESSES: readonly ManagedProcess[] = [temporalServer, temporalUi, worker, mailSink, api];
