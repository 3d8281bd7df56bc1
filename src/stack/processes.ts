import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** What `stack up` records for each process it started, in `<dataDir>/run/<name>.pid.json`. */
export interface PidRecord {
  pid: number;
  /** The command line, to tell our process from an unrelated one that reused the pid. */
  command: string[];
  startedAt: string;
  log: string;
}

export function pidFile(runDir: string, name: string): string {
  return path.join(runDir, `${name}.pid.json`);
}

export function readPidRecord(file: string): PidRecord | null {
  try {
    const record = JSON.parse(fs.readFileSync(file, 'utf8')) as PidRecord;
    return Number.isInteger(record.pid) && record.pid > 0 ? record : null;
  } catch {
    return null;
  }
}

/** True when a process with this pid exists (and we may signal it). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie still answers signal 0 until it is reaped; it is not running.
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/**
 * The recorded process is alive and is still the one we started: on Linux its
 * command line must match, so a recycled pid is never taken for ours (or killed).
 */
export function isRecordedProcessRunning(record: PidRecord): boolean {
  if (!isAlive(record.pid)) return false;
  let cmdline: string;
  try {
    cmdline = fs.readFileSync(`/proc/${record.pid}/cmdline`, 'utf8');
  } catch {
    return true;
  }
  const args = cmdline.split('\0').filter(Boolean);
  const expected = record.command.slice(1);
  return expected.every((arg) => args.includes(arg));
}

export interface DetachedProcess {
  pid: number;
  /** Size of the log before the start: readiness looks only at what follows. */
  logOffset: number;
}

/**
 * Start `command` in its own process group (so `stack down` can signal it and
 * its children together), stdout and stderr appended to `log`, not waited for.
 */
export function spawnDetached(
  command: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; log: string },
): DetachedProcess {
  fs.mkdirSync(path.dirname(options.log), { recursive: true });
  const fd = fs.openSync(options.log, 'a');
  try {
    fs.writeSync(fd, `\n--- ${new Date().toISOString()} starting: ${command.join(' ')}\n`);
    // After the header, which quotes the command and so may contain the very text readiness looks for.
    const logOffset = fs.fstatSync(fd).size;
    const child = spawn(command[0], command.slice(1), {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    if (child.pid === undefined) throw new Error(`cannot start ${command[0]}`);
    // The CLI exits right after; the child must not keep it alive or die with it.
    child.unref();
    return { pid: child.pid, logOffset };
  } finally {
    fs.closeSync(fd);
  }
}

/** Whether something accepts TCP connections at host:port within `timeoutMs`. */
export function isPortOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The last `lines` lines of a log, for error messages. */
export function tailLog(file: string, lines = 15, fromOffset = 0): string {
  try {
    const text = fs.readFileSync(file, 'utf8').slice(fromOffset);
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Whether the log, after `fromOffset`, has a line matching `pattern`. */
export function logHasLine(file: string, pattern: RegExp, fromOffset = 0): boolean {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      if (size <= fromOffset) return false;
      const buffer = Buffer.alloc(size - fromOffset);
      fs.readSync(fd, buffer, 0, buffer.length, fromOffset);
      return buffer
        .toString('utf8')
        .split('\n')
        .some((line) => pattern.test(line));
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return false;
  }
}

/**
 * Stop a process group we started: SIGTERM, then SIGKILL after `graceMs`.
 * Resolves to true when it had to be killed.
 */
export async function stopProcessGroup(pid: number, graceMs: number): Promise<boolean> {
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      // The group leader may be gone while a child lingers in the group, or both are.
      try {
        process.kill(pid, signal);
      } catch {
        /* already gone */
      }
    }
  };
  signalGroup('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid) && !groupAlive(pid)) return false;
    await sleep(100);
  }
  signalGroup('SIGKILL');
  for (let i = 0; i < 50 && (isAlive(pid) || groupAlive(pid)); i++) await sleep(100);
  return true;
}

/** Whether any process is left in process group `pgid`. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
