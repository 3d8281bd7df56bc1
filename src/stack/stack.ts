import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT, type AppConfig } from '../config/config';
import {
  isAlive,
  isPortOpen,
  isRecordedProcessRunning,
  pidFile,
  readPidRecord,
  sleep,
  spawnDetached,
  stopProcessGroup,
  tailLog,
  type PidRecord,
} from './processes';
import {
  checkRedis,
  isLocalTemporal,
  postgresState,
  preparePostgres,
  redactUrl,
  redisAnswers,
  temporalAnswers,
} from './services';
import { localTemporalUiPort } from '../adapters/temporal/ui-links';
import { STACK_PROCESSES, type ManagedProcess, type StackContext } from './stack-processes';
import { ensureWebAppBuilt } from './web-build';

/** One part of the stack as `stack status` shows it. */
export interface StackPart {
  name: string;
  status: 'up' | 'down';
  address: string;
  /** Set when `stack up` started it (and `stack down` will stop it). */
  pid?: number;
}

/** What `stack up` did with a part. */
export type StackAction = 'started' | 'already-running' | 'external' | 'checked' | 'migrated' | 'not-managed';

export interface StackUpPart extends StackPart {
  action: StackAction;
  /** Its log, for processes. */
  log?: string;
}

export interface StackDownPart {
  name: string;
  action: 'stopped' | 'killed' | 'not-running';
  pid?: number;
}

export interface StackOptions {
  /** Progress lines for people (stderr in the CLI). */
  log?: (line: string) => void;
  /** The managed processes; default {@link STACK_PROCESSES} (tests pass a subset). */
  processes?: readonly ManagedProcess[];
  /** How long `stack down` waits after SIGTERM before SIGKILL. */
  graceMs?: number;
}

/** Data-directory layout of the stack. */
export function stackPaths(config: AppConfig) {
  return {
    logsDir: path.join(config.dataDir, 'logs'),
    runDir: path.join(config.dataDir, 'run'),
    temporalDir: path.join(config.dataDir, 'temporal'),
    mailDir: path.join(config.dataDir, 'mail'),
  };
}

function contextFor(config: AppConfig, log: (line: string) => void): StackContext {
  const { logsDir, runDir } = stackPaths(config);
  return { config, projectRoot: PROJECT_ROOT, logsDir, runDir, log };
}

const logFileOf = (ctx: StackContext, entry: ManagedProcess) => path.join(ctx.logsDir, `${entry.name}.log`);

/** Children get the same configuration as the caller, whether it came from files or the environment. */
function childEnv(config: AppConfig): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATABASE_URL: config.database.url,
    REDIS_URL: config.redis.url,
    TEMPORAL_ADDRESS: config.temporal.address,
    TEMPORAL_NAMESPACE: config.temporal.namespace,
    TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
    ALGO_DATA_DIR: config.dataDir,
    SMTP_HOST: config.mail.host,
    SMTP_PORT: String(config.mail.port),
    API_PORT: String(config.api.port),
  };
}

/** The pid record of a process we started that is still running, or null. */
function runningRecord(ctx: StackContext, entry: ManagedProcess): PidRecord | null {
  const record = readPidRecord(pidFile(ctx.runDir, entry.name));
  return record && isRecordedProcessRunning(record) ? record : null;
}

async function portAnswers(ctx: StackContext, entry: ManagedProcess): Promise<boolean | undefined> {
  if (!entry.port) return undefined;
  const { host, port } = entry.port(ctx);
  return isPortOpen(host, port, 500);
}

/** The entry's own readiness check, else whether its port answers. */
async function isReady(ctx: StackContext, entry: ManagedProcess, logOffset: number): Promise<boolean> {
  if (entry.ready) return entry.ready(ctx, logFileOf(ctx, entry), logOffset);
  return (await portAnswers(ctx, entry)) ?? true;
}

/** Poll the entry's readiness until it holds; fail fast when the process dies. */
async function waitReady(ctx: StackContext, entry: ManagedProcess, pid: number, logOffset: number): Promise<void> {
  const log = logFileOf(ctx, entry);
  const deadline = Date.now() + entry.startTimeoutMs;
  for (;;) {
    if (await isReady(ctx, entry, logOffset)) return;
    if (!isAlive(pid)) {
      fs.rmSync(pidFile(ctx.runDir, entry.name), { force: true });
      throw new Error(`${entry.name} exited while starting; see ${log}:\n${tailLog(log, 15, logOffset)}`);
    }
    if (Date.now() > deadline) {
      await stopProcessGroup(pid, 2000);
      fs.rmSync(pidFile(ctx.runDir, entry.name), { force: true });
      throw new Error(
        `${entry.name} was not ready within ${entry.startTimeoutMs / 1000}s (stopped it); see ${log}:\n${tailLog(log, 15, logOffset)}`,
      );
    }
    await sleep(250);
  }
}

/** Start one process unless ours is already running (then its `afterReady` setup). */
async function ensureProcess(ctx: StackContext, entry: ManagedProcess): Promise<StackUpPart> {
  const part = await startProcess(ctx, entry);
  await entry.afterReady?.(ctx);
  return part;
}

/** Start one process unless ours is already running; leave a healthy one alone. */
async function startProcess(ctx: StackContext, entry: ManagedProcess): Promise<StackUpPart> {
  const log = logFileOf(ctx, entry);
  const base = { name: entry.name, address: entry.address(ctx), log };
  const record = runningRecord(ctx, entry);
  if (record) {
    // Ours and alive: if it is still coming up (a concurrent `stack up`), wait for it rather than start another.
    if ((await portAnswers(ctx, entry)) === false) await waitReady(ctx, entry, record.pid, 0);
    ctx.log(`${entry.name}: already running (pid ${record.pid})`);
    return { ...base, status: 'up', pid: record.pid, action: 'already-running' };
  }
  fs.rmSync(pidFile(ctx.runDir, entry.name), { force: true });

  if (await portAnswers(ctx, entry)) {
    // Something we did not start holds the port: use it if it is what we expect, never stop it.
    if (await (entry.recognize?.(ctx) ?? true)) {
      ctx.log(`${entry.name}: already running at ${base.address} (not started by \`algo stack\`, left alone)`);
      return { ...base, status: 'up', action: 'external' };
    }
    const { host, port } = entry.port!(ctx);
    throw new Error(`${entry.name}: ${host}:${port} is in use by another process; stop it or configure another port`);
  }

  if (entry.entry && !fs.existsSync(path.join(ctx.projectRoot, entry.entry))) {
    throw new Error(`${entry.name}: cannot start, ${entry.entry} does not exist`);
  }
  const command = await entry.command(ctx);
  const started = spawnDetached(command, {
    cwd: ctx.projectRoot,
    env: { ...childEnv(ctx.config), ...entry.env?.(ctx) },
    log,
  });
  const pidRecord: PidRecord = { pid: started.pid, command, startedAt: new Date().toISOString(), log };
  fs.writeFileSync(pidFile(ctx.runDir, entry.name), `${JSON.stringify(pidRecord, null, 2)}\n`);
  ctx.log(`${entry.name}: started (pid ${started.pid}), waiting until ready; log ${log}`);
  await waitReady(ctx, entry, started.pid, started.logOffset);
  ctx.log(`${entry.name}: ready at ${base.address}`);
  return { ...base, status: 'up', pid: started.pid, action: 'started' };
}

/**
 * Run `body` holding `<runDir>/stack.lock`, so two `stack up`/`stack down` at
 * once do not both start (or stop) the same process. A lock whose holder died is taken over.
 */
async function withStackLock<T>(ctx: StackContext, body: () => Promise<T>): Promise<T> {
  const lock = path.join(ctx.runDir, 'stack.lock');
  fs.mkdirSync(ctx.runDir, { recursive: true });
  const deadline = Date.now() + 180_000;
  let announced = false;
  for (;;) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let holder: number;
      try {
        holder = Number(fs.readFileSync(lock, 'utf8'));
      } catch {
        continue; // released between our two calls
      }
      if (!Number.isInteger(holder) || holder <= 0 || !isAlive(holder)) {
        fs.rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline)
        throw new Error(`another \`algo stack\` (pid ${holder}) holds ${lock}; wait for it or remove the file`);
      if (!announced) ctx.log(`waiting for another \`algo stack\` (pid ${holder}) to finish...`);
      announced = true;
      await sleep(250);
    }
  }
  try {
    return await body();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

/**
 * Bring the local stack up, idempotently: Postgres and Redis checked (database
 * created and migrated), then each managed process (Temporal dev server when
 * Temporal is local, worker, mail sink, API) started in the background unless
 * already running. Resolves with every part; throws naming the part that failed.
 */
export async function stackUp(config: AppConfig, options: StackOptions = {}): Promise<{ parts: StackUpPart[] }> {
  const log = options.log ?? (() => undefined);
  const ctx = contextFor(config, log);
  const processes = (options.processes ?? STACK_PROCESSES).filter((entry) => entry.enabled?.(ctx) ?? true);
  for (const dir of Object.values(stackPaths(config))) fs.mkdirSync(dir, { recursive: true });

  const { created } = await preparePostgres(config.database.url);
  log(`postgres: ${created ? 'created database and ' : ''}migrated to the latest schema`);
  await checkRedis(config.redis.url);
  log('redis: reachable');
  if (!isLocalTemporal(config) && !(await temporalAnswers(config))) {
    throw new Error(
      `cannot reach Temporal at ${config.temporal.address} (namespace ${config.temporal.namespace}); check temporal.address, TLS and API key`,
    );
  }

  // The API serves the web app under /app/: build it first when a fresh clone has no build.
  if (processes.some((p) => p.name === 'api')) await ensureWebAppBuilt(log);

  const results = new Map<string, StackUpPart>();
  const stages = [...new Set(processes.map((p) => p.stage))].sort((a, b) => a - b);
  await withStackLock(ctx, async () => {
    for (const stage of stages) {
      const settled = await Promise.allSettled(
        processes.filter((p) => p.stage === stage).map((p) => ensureProcess(ctx, p)),
      );
      const failures: string[] = [];
      for (const outcome of settled) {
        if (outcome.status === 'fulfilled') results.set(outcome.value.name, outcome.value);
        else failures.push((outcome.reason as Error).message);
      }
      if (failures.length) throw new Error(failures.join('\n'));
    }
  });

  const status = await stackStatus(config, options);
  const parts = status.parts.map((part): StackUpPart => {
    const done = results.get(part.name);
    if (done) return { ...part, action: done.action, log: done.log };
    const managedElsewhere = part.name === 'temporal' || part.name === 'temporal-ui';
    return {
      ...part,
      action:
        part.name === 'postgres'
          ? 'migrated'
          : managedElsewhere && !isLocalTemporal(config)
            ? 'not-managed'
            : 'checked',
    };
  });
  return { parts };
}

/**
 * Stop exactly the processes `stack up` started (SIGTERM, then SIGKILL after the
 * grace period): stage by stage in reverse, so the worker drains before Temporal stops.
 */
export async function stackDown(config: AppConfig, options: StackOptions = {}): Promise<{ parts: StackDownPart[] }> {
  const log = options.log ?? (() => undefined);
  const ctx = contextFor(config, log);
  const processes = options.processes ?? STACK_PROCESSES;
  const stop = async (entry: ManagedProcess): Promise<StackDownPart> => {
    const file = pidFile(ctx.runDir, entry.name);
    const record = runningRecord(ctx, entry);
    if (!record) {
      fs.rmSync(file, { force: true });
      return { name: entry.name, action: 'not-running' };
    }
    const killed = await stopProcessGroup(record.pid, options.graceMs ?? 15_000);
    fs.rmSync(file, { force: true });
    log(`${entry.name}: ${killed ? 'killed (did not stop on SIGTERM)' : 'stopped'} (pid ${record.pid})`);
    return { name: entry.name, action: killed ? 'killed' : 'stopped', pid: record.pid };
  };
  const stopped = new Map<string, StackDownPart>();
  const stages = [...new Set(processes.map((p) => p.stage))].sort((a, b) => b - a);
  await withStackLock(ctx, async () => {
    for (const stage of stages) {
      const parts = await Promise.all(processes.filter((p) => p.stage === stage).map(stop));
      for (const part of parts) stopped.set(part.name, part);
    }
  });
  return { parts: [...processes].reverse().map((p) => stopped.get(p.name)!) };
}

/** Every part of the stack, up or down, with its address (and pid when `stack up` started it). */
export async function stackStatus(config: AppConfig, options: StackOptions = {}): Promise<{ parts: StackPart[] }> {
  const ctx = contextFor(config, options.log ?? (() => undefined));
  const processes = options.processes ?? STACK_PROCESSES;
  const local = isLocalTemporal(config);
  const uiPort = localTemporalUiPort(config);

  const processPart = async (entry: ManagedProcess): Promise<StackPart> => {
    if (entry.enabled && !entry.enabled(ctx))
      return { name: entry.name, status: 'down', address: 'not managed: configured to use another machine' };
    const record = runningRecord(ctx, entry);
    const answers = await portAnswers(ctx, entry);
    // A process is up when ours runs (and its port answers), or when something else serves its port.
    const up = answers ?? record !== null;
    return {
      name: entry.name,
      status: up ? 'up' : 'down',
      address: entry.address(ctx),
      ...(record && up ? { pid: record.pid } : {}),
    };
  };
  const temporalEntry = processes.find((p) => p.name === 'temporal');
  const temporalPart = async (): Promise<StackPart> => {
    if (local && temporalEntry) return processPart(temporalEntry);
    return {
      name: 'temporal',
      status: (await temporalAnswers(config)) ? 'up' : 'down',
      address: config.temporal.address,
    };
  };
  const uiEntry = processes.find((p) => p.name === 'temporal-ui');
  const uiPart = async (): Promise<StackPart> =>
    local && uiEntry && config.temporal.server === 'postgres'
      ? processPart(uiEntry)
      : local
        ? {
            name: 'temporal-ui',
            status: (await isPortOpen('127.0.0.1', uiPort, 500)) ? 'up' : 'down',
            address: `http://127.0.0.1:${uiPort}`,
          }
        : {
            name: 'temporal-ui',
            status: 'down',
            address: `not managed: Temporal at ${config.temporal.address} is remote`,
          };

  const parts = await Promise.all([
    temporalPart(),
    uiPart(),
    postgresState(config.database.url).then(
      (state): StackPart => ({
        name: 'postgres',
        status: state === 'down' ? 'down' : 'up',
        address: `${redactUrl(config.database.url)}${state === 'no-database' ? ' (database not created yet: run `algo stack up`)' : ''}`,
      }),
    ),
    redisAnswers(config.redis.url).then(
      (up): StackPart => ({ name: 'redis', status: up ? 'up' : 'down', address: redactUrl(config.redis.url) }),
    ),
    ...processes.filter((p) => p.name !== 'temporal' && p.name !== 'temporal-ui').map(processPart),
  ]);
  return { parts };
}
