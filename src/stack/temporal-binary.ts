import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The Temporal CLI release we build and run; change it here and nowhere else. */
export const TEMPORAL_CLI_VERSION = '1.5.1';

/** Older releases tried in order when the Go proxy refuses the pinned one. */
export const TEMPORAL_CLI_FALLBACK_VERSIONS: readonly string[] = ['1.5.0', '1.4.1', '1.3.0'];

/** The Go module whose `cmd/temporal` package is the CLI (and its dev server). */
const TEMPORAL_CLI_PACKAGE = 'github.com/temporalio/cli/cmd/temporal';

export interface ResolveTemporalBinaryOptions {
  /** An explicit path (config `temporal.devServer.binary` / env TEMPORAL_BINARY); must exist when given. */
  configured?: string | null;
  /** Where a built or downloaded binary is kept; default {@link defaultTemporalCacheDir}. */
  cacheDir?: string;
  /** Progress lines for people (a Go build takes minutes). */
  log?: (line: string) => void;
  /** Search path for `temporal`; default process.env.PATH. */
  pathEnv?: string;
  /** The Go toolchain; default `go` on the search path or /usr/local/go/bin/go; null: never build. */
  go?: string | null;
}

/** `${XDG_CACHE_HOME:-~/.cache}/algo-signals/bin`: outside the repo, so every clone and run reuses one binary. */
export function defaultTemporalCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const cacheHome =
    env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
  return path.join(cacheHome, 'algo-signals', 'bin');
}

export function isExecutableFile(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) return false;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable `temporal` on the search path, or null. */
export function findOnPath(name: string, pathEnv: string = process.env.PATH ?? ''): string | null {
  for (const dir of pathEnv.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return null;
}

/** `go` on PATH or at its usual install location, or null. */
export function findGo(pathEnv: string = process.env.PATH ?? ''): string | null {
  return findOnPath('go', pathEnv) ?? (isExecutableFile('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : null);
}

/** Build the CLI with `go install` into `cacheDir`; tries the pinned version, then the fallbacks. */
async function buildWithGo(go: string, cacheDir: string, log: (line: string) => void): Promise<string | null> {
  fs.mkdirSync(cacheDir, { recursive: true });
  for (const version of [TEMPORAL_CLI_VERSION, ...TEMPORAL_CLI_FALLBACK_VERSIONS]) {
    log(`building the Temporal CLI v${version} with Go into ${cacheDir} (a few minutes, once)...`);
    try {
      await execFileAsync(go, ['install', `${TEMPORAL_CLI_PACKAGE}@v${version}`], {
        env: { ...process.env, GOBIN: cacheDir, CGO_ENABLED: process.env.CGO_ENABLED ?? '0' },
        maxBuffer: 64 * 1024 * 1024,
        timeout: 30 * 60_000,
      });
      const built = path.join(cacheDir, 'temporal');
      if (isExecutableFile(built)) return built;
    } catch (err) {
      const stderr = String((err as { stderr?: string }).stderr ?? (err as Error).message)
        .trim()
        .split('\n')
        .slice(-3)
        .join(' | ');
      log(`go install of v${version} failed: ${stderr}`);
    }
  }
  return null;
}

/**
 * Find a real Temporal CLI binary, in this order: the configured path; `temporal`
 * on PATH; the cache; a `go install` build into the cache. Resolves to null when
 * none can be had here (no binary, no Go): the caller then uses the SDK's own
 * download (see {@link ensureTemporalBinary} and test/support/temporal.ts).
 * Throws only when a configured path does not exist, since that is a mistake to fix.
 */
export async function resolveTemporalBinary(options: ResolveTemporalBinaryOptions = {}): Promise<string | null> {
  const log = options.log ?? (() => undefined);
  const pathEnv = options.pathEnv ?? process.env.PATH ?? '';
  if (options.configured) {
    const configured = path.resolve(options.configured);
    if (!isExecutableFile(configured)) {
      throw new Error(
        `the configured Temporal binary ${configured} (temporal.devServer.binary / TEMPORAL_BINARY) is not an executable file`,
      );
    }
    return configured;
  }
  const onPath = findOnPath('temporal', pathEnv);
  if (onPath) return onPath;
  const cacheDir = options.cacheDir ?? defaultTemporalCacheDir();
  const cached = path.join(cacheDir, 'temporal');
  if (isExecutableFile(cached)) return cached;
  const go = options.go === undefined ? findGo(pathEnv) : options.go;
  if (go) return buildWithGo(go, cacheDir, log);
  log('no temporal binary and no Go toolchain: falling back to the Temporal SDK download');
  return null;
}

/**
 * Like {@link resolveTemporalBinary}, but when no binary can be had locally it
 * fetches the SDK's pick of the CLI (needs internet) through
 * `@temporalio/testing` and keeps it in the cache as `temporal`. Always a path.
 */
export async function ensureTemporalBinary(options: ResolveTemporalBinaryOptions = {}): Promise<string> {
  const resolved = await resolveTemporalBinary(options);
  if (resolved) return resolved;
  const cacheDir = options.cacheDir ?? defaultTemporalCacheDir();
  try {
    return await downloadWithSdk(cacheDir, options.log ?? (() => undefined));
  } catch (err) {
    throw new Error(
      `no Temporal CLI binary: none configured, none on PATH, none in ${cacheDir}, no Go to build one, ` +
        `and the SDK download failed (${(err as Error).message}). Install it (https://docs.temporal.io/cli) or set TEMPORAL_BINARY.`,
    );
  }
}

/** Let the SDK download its CLI (it starts a throwaway dev server to do so), then keep the file. */
async function downloadWithSdk(cacheDir: string, log: (line: string) => void): Promise<string> {
  const downloadDir = path.join(cacheDir, 'sdk-download');
  fs.mkdirSync(downloadDir, { recursive: true });
  log(`downloading the Temporal CLI through the SDK into ${downloadDir}...`);
  // A devDependency: loaded only on this path so production code does not need it.
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'cached-download', downloadDir, ttl: '3650d' }, ip: '127.0.0.1' },
  });
  await env.teardown();
  // The SDK names its download `temporal-<sdk>-<version>`; keep the newest as `temporal`.
  const downloaded = fs
    .readdirSync(downloadDir)
    .filter((name) => name.startsWith('temporal') && isExecutableFile(path.join(downloadDir, name)))
    .map((name) => path.join(downloadDir, name))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];
  if (!downloaded) throw new Error(`the SDK left no executable in ${downloadDir}`);
  const target = path.join(cacheDir, 'temporal');
  fs.copyFileSync(downloaded, target);
  fs.chmodSync(target, 0o755);
  return target;
}
