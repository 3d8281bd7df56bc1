import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { defaultTemporalCacheDir, findGo, isExecutableFile } from './temporal-binary';
import { goModCache, postgresSchemaDir, TEMPORAL_SERVER_PACKAGES, TEMPORAL_SERVER_VERSION } from './temporal-server';

const execFileAsync = promisify(execFile);

/**
 * The Temporal UI server release of production mode: the one the Temporal CLI
 * v1.5.1 embeds (the dev server's UI), so both modes show the same Web UI.
 */
export const TEMPORAL_UI_SERVER_VERSION = '2.42.1';

/** The UI server's Go package; its binary is named `server` too, so it is kept as `temporal-ui-server`. */
const TEMPORAL_UI_SERVER_PACKAGE = 'github.com/temporalio/ui-server/v2/cmd/server';

/** What production mode runs, all built from source with `go install` into the binary cache. */
export interface TemporalServerBinaries {
  /** The server (all four services in one process). */
  server: string;
  /** `temporal-sql-tool`: creates the databases and brings their schemas up to date. */
  sqlTool: string;
  /** The Web UI server. */
  uiServer: string;
  /** The postgres12 schemas shipped with the server's module (in the Go module cache). */
  schemaDir: string;
}

export interface EnsureServerBinariesOptions {
  cacheDir?: string;
  /** Progress lines for people: a first build takes many minutes. */
  log?: (line: string) => void;
  /** The Go toolchain; default `go` on PATH or /usr/local/go/bin/go. */
  go?: string | null;
  /** How often a running build reports its progress; default 15 s. */
  progressEveryMs?: number;
}

/**
 * `go install -v PACKAGES` with GOBIN=`gobin`, telling `log` every
 * `progressEveryMs` how many packages it has compiled so far (Go prints each).
 */
async function goInstallWithProgress(
  go: string,
  packages: string[],
  gobin: string,
  log: (line: string) => void,
  progressEveryMs: number,
): Promise<void> {
  fs.mkdirSync(gobin, { recursive: true });
  const started = Date.now();
  let compiled = 0;
  let tail: string[] = [];
  const child = spawn(go, ['install', '-v', ...packages], {
    env: { ...process.env, GOBIN: gobin, CGO_ENABLED: process.env.CGO_ENABLED ?? '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const onOutput = (chunk: Buffer) => {
    const lines = chunk.toString().split('\n').filter(Boolean);
    // `go install -v` names each package as it builds it; "go: downloading ..." lines are fetches.
    compiled += lines.filter((line) => !line.startsWith('go: ')).length;
    tail = [...tail, ...lines].slice(-5);
  };
  child.stdout.on('data', onOutput);
  child.stderr.on('data', onOutput);
  const timer = setInterval(() => {
    const seconds = Math.round((Date.now() - started) / 1000);
    log(`  still building: ${compiled} packages compiled in ${seconds}s (last: ${tail.at(-1) ?? 'fetching modules'})`);
  }, progressEveryMs);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    });
    if (code !== 0) throw new Error(`go install ${packages.join(' ')} failed (exit ${code}): ${tail.join(' | ')}`);
    log(
      `  built ${packages.length} program(s), ${compiled} packages, in ${Math.round((Date.now() - started) / 1000)}s`,
    );
  } finally {
    clearInterval(timer);
  }
}

/**
 * Find production mode's binaries in the cache (`~/.cache/algo-signals/bin`:
 * `server`, `sql`, `temporal-ui-server`), building the missing ones from
 * source with `go install` (progress on `log`), and the server module's
 * schema directory (downloaded with `go mod download` when the module cache
 * lacks it). Throws, saying what to install, when there is no Go to build with.
 */
export async function ensureTemporalServerBinaries(
  options: EnsureServerBinariesOptions = {},
): Promise<TemporalServerBinaries> {
  const log = options.log ?? (() => undefined);
  const cacheDir = options.cacheDir ?? defaultTemporalCacheDir();
  const progressEveryMs = options.progressEveryMs ?? 15_000;
  const binaries = {
    server: path.join(cacheDir, 'server'),
    sqlTool: path.join(cacheDir, 'sql'),
    uiServer: path.join(cacheDir, 'temporal-ui-server'),
  };
  const go = options.go === undefined ? findGo() : options.go;
  const needGo = (what: string) => {
    if (!go)
      throw new Error(
        `production mode needs ${what}, and there is no Go toolchain to build it: install Go (https://go.dev/dl) ` +
          `or build it elsewhere into ${cacheDir}`,
      );
    return go;
  };

  const serverPackages = [
    ...(isExecutableFile(binaries.server) ? [] : [TEMPORAL_SERVER_PACKAGES.server]),
    ...(isExecutableFile(binaries.sqlTool) ? [] : [TEMPORAL_SERVER_PACKAGES.sqlTool]),
  ];
  if (serverPackages.length > 0) {
    const toolchain = needGo(`the Temporal server ${TEMPORAL_SERVER_VERSION} and its sql tool`);
    log(
      `building the Temporal server ${TEMPORAL_SERVER_VERSION} (${serverPackages.join(', ')}) with Go into ${cacheDir} ` +
        '(once; about 5 minutes on 2 idle cores, longer on a busy machine)...',
    );
    await goInstallWithProgress(
      toolchain,
      serverPackages.map((pkg) => `${pkg}@v${TEMPORAL_SERVER_VERSION}`),
      cacheDir,
      log,
      progressEveryMs,
    );
  }

  if (!isExecutableFile(binaries.uiServer)) {
    const toolchain = needGo(`the Temporal UI server ${TEMPORAL_UI_SERVER_VERSION}`);
    log(`building the Temporal UI server ${TEMPORAL_UI_SERVER_VERSION} with Go into ${cacheDir} (once)...`);
    // Its program is named `server` like the Temporal server's: build it apart, then rename it.
    fs.mkdirSync(cacheDir, { recursive: true });
    const buildDir = fs.mkdtempSync(path.join(cacheDir, '.ui-build-'));
    try {
      await goInstallWithProgress(
        toolchain,
        [`${TEMPORAL_UI_SERVER_PACKAGE}@v${TEMPORAL_UI_SERVER_VERSION}`],
        buildDir,
        log,
        progressEveryMs,
      );
      fs.renameSync(path.join(buildDir, 'server'), binaries.uiServer);
    } finally {
      fs.rmSync(buildDir, { recursive: true, force: true });
    }
  }

  const toolchain = needGo(`the server's schema files (module go.temporal.io/server@v${TEMPORAL_SERVER_VERSION})`);
  const schemaDir = postgresSchemaDir(await goModCache(toolchain));
  if (!fs.existsSync(schemaDir)) {
    log(`downloading the schema files of go.temporal.io/server@v${TEMPORAL_SERVER_VERSION}...`);
    await execFileAsync(toolchain, ['mod', 'download', `go.temporal.io/server@v${TEMPORAL_SERVER_VERSION}`], {
      maxBuffer: 16 * 1024 * 1024,
    });
  }
  if (!fs.existsSync(schemaDir)) throw new Error(`the server's schema directory ${schemaDir} is missing`);
  return { ...binaries, schemaDir };
}
