import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import YAML from 'yaml';

const execFileAsync = promisify(execFile);

/**
 * The self-hosted Temporal Service (production mode, `temporal.server:
 * postgres`): the server release every mode runs and docker-compose.yml
 * pins, its schemas in two Postgres databases, and its config file.
 */

/** The Temporal server release of production mode and of docker-compose.yml; change it here and there together. */
export const TEMPORAL_SERVER_VERSION = '1.29.1';

/** The Go packages of the server and of its schema tool (`temporal-sql-tool`), built with `go install` into one bin dir. */
export const TEMPORAL_SERVER_PACKAGES = {
  server: 'go.temporal.io/server/cmd/server',
  sqlTool: 'go.temporal.io/server/cmd/tools/sql',
} as const;

/** Where the server keeps its state: a Postgres server and the two databases of its schemas. */
export interface TemporalPersistence {
  host: string;
  port: number;
  user: string;
  password?: string;
  /** History, tasks, namespaces (default `temporal`). */
  database: string;
  /** Workflow listing and search (default `temporal_visibility`). */
  visibilityDatabase: string;
}

/** The highest membership port the server can record (a Postgres smallint). */
export const MAX_MEMBERSHIP_PORT = 32_767;

/** The ports of one all-in-one server process; each service needs a gRPC and a membership port. */
export interface TemporalServerPorts {
  frontend: number;
  frontendHttp: number;
  history: number;
  matching: number;
  worker: number;
  /**
   * Membership (ringpop) ports, in the same order: frontend, history, matching,
   * worker. Below 32768: the cluster_membership table stores them as smallint.
   */
  membership: [number, number, number, number];
  /** Prometheus metrics, moved off 127.0.0.1:8000 (the API's port). */
  metrics: number;
}

/** A port in [20000, {@link MAX_MEMBERSHIP_PORT}] nobody listened on a moment ago (ephemeral ports are above the limit). */
async function freePortBelowMembershipLimit(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * (MAX_MEMBERSHIP_PORT - 20_000));
    const free = await new Promise<boolean>((resolve) => {
      const probe = net.createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

/** Ten distinct free ports for one server process, every one of them storable as a membership port. */
export async function freeTemporalServerPorts(): Promise<TemporalServerPorts> {
  const ports: number[] = [];
  while (ports.length < 10) {
    const port = await freePortBelowMembershipLimit();
    if (!ports.includes(port)) ports.push(port);
  }
  return {
    frontend: ports[0],
    frontendHttp: ports[1],
    history: ports[2],
    matching: ports[3],
    worker: ports[4],
    membership: [ports[5], ports[6], ports[7], ports[8]],
    metrics: ports[9],
  };
}

/** `<GOMODCACHE>/go.temporal.io/server@v<version>/schema/postgresql/v12`: the schemas shipped with the module. */
export function postgresSchemaDir(goModCache: string, version = TEMPORAL_SERVER_VERSION): string {
  return path.join(goModCache, 'go.temporal.io', `server@v${version}`, 'schema', 'postgresql', 'v12');
}

/** `go env GOMODCACHE` of the toolchain `go`. */
export async function goModCache(go = 'go'): Promise<string> {
  return (await execFileAsync(go, ['env', 'GOMODCACHE'])).stdout.trim();
}

/**
 * The server's config, after the module's config/development-postgres12.yaml:
 * both stores on `persistence` (plugin postgres12), every port from `ports`,
 * bound to 127.0.0.1, metrics on `ports.metrics`, pprof off, archival off.
 */
export function temporalServerConfig(input: {
  persistence: TemporalPersistence;
  ports: TemporalServerPorts;
  /** Dynamic config file (may be an empty map). */
  dynamicConfigFile: string;
  numHistoryShards?: number;
}): Record<string, unknown> {
  const { persistence: p, ports } = input;
  const tooHigh = ports.membership.find((port) => port > MAX_MEMBERSHIP_PORT);
  if (tooHigh !== undefined)
    throw new Error(`membership port ${tooHigh} is above ${MAX_MEMBERSHIP_PORT} (the server stores it as a smallint)`);
  const store = (databaseName: string, maxConns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `${p.host}:${p.port}`,
      connectProtocol: 'tcp',
      user: p.user,
      password: p.password ?? '',
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const service = (grpcPort: number, membershipPort: number, extra: Record<string, unknown> = {}) => ({
    rpc: { grpcPort, membershipPort, bindOnLocalHost: true, ...extra },
  });
  return {
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      // Fixed for the life of the databases: it cannot change once the schema holds data.
      numHistoryShards: input.numHistoryShards ?? 4,
      datastores: {
        'postgres-default': store(p.database, 20),
        'postgres-visibility': store(p.visibilityDatabase, 4),
      },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' },
      pprof: { port: 0 },
      metrics: {
        prometheus: { framework: 'tally', timerType: 'histogram', listenAddress: `127.0.0.1:${ports.metrics}` },
      },
    },
    services: {
      frontend: service(ports.frontend, ports.membership[0], { httpPort: ports.frontendHttp }),
      history: service(ports.history, ports.membership[1]),
      matching: service(ports.matching, ports.membership[2]),
      worker: service(ports.worker, ports.membership[3]),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: {
          enabled: true,
          initialFailoverVersion: 1,
          rpcName: 'frontend',
          rpcAddress: `127.0.0.1:${ports.frontend}`,
        },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } },
    namespaceDefaults: { archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } } },
    dynamicConfigClient: { filepath: input.dynamicConfigFile, pollInterval: '10s' },
  };
}

/**
 * Write the server's config under `root` (`<root>/config/algo.yaml` and an
 * empty dynamic config) and return the arguments of `server`:
 * `--root <root> --config config --env algo start`.
 */
export function writeTemporalServerConfig(
  root: string,
  input: Omit<Parameters<typeof temporalServerConfig>[0], 'dynamicConfigFile'>,
): string[] {
  const configDir = path.join(root, 'config');
  fs.mkdirSync(configDir, { recursive: true });
  const dynamicConfigFile = path.join(configDir, 'dynamicconfig.yaml');
  if (!fs.existsSync(dynamicConfigFile)) fs.writeFileSync(dynamicConfigFile, '{}\n');
  fs.writeFileSync(
    path.join(configDir, 'algo.yaml'),
    YAML.stringify(temporalServerConfig({ ...input, dynamicConfigFile })),
  );
  return ['--root', root, '--config', 'config', '--env', 'algo', 'start'];
}

/**
 * Create the server's two databases when absent and bring their schemas to
 * the version shipped with the module (the sql tool's create-database,
 * setup-schema -v 0.0 on a new database, then update-schema): safe to repeat.
 */
export async function setupTemporalSchemas(input: {
  sqlTool: string;
  schemaDir: string;
  persistence: TemporalPersistence;
  /** Which databases exist already and hold a schema (a caller's Postgres query). */
  existing: (database: string) => Promise<{ exists: boolean; hasSchema: boolean }>;
  log?: (line: string) => void;
}): Promise<void> {
  const p = input.persistence;
  const base = ['--plugin', 'postgres12', '--ep', p.host, '-p', String(p.port), '-u', p.user];
  const env = { ...process.env, SQL_PASSWORD: p.password ?? '' };
  const run = async (database: string, args: string[]) => {
    try {
      await execFileAsync(input.sqlTool, [...base, '--db', database, ...args], { env, maxBuffer: 16 * 1024 * 1024 });
    } catch (err) {
      const e = err as { stderr?: string; stdout?: string; message: string };
      throw new Error(
        `temporal-sql-tool ${args[0]} on ${database} failed: ${(e.stderr || e.stdout || e.message).trim()}`,
      );
    }
  };
  for (const [database, schema] of [
    [p.database, 'temporal'],
    [p.visibilityDatabase, 'visibility'],
  ] as const) {
    const state = await input.existing(database);
    if (!state.exists) {
      input.log?.(`creating database ${database}`);
      await run(database, ['create-database']);
    }
    if (!state.hasSchema) await run(database, ['setup-schema', '-v', '0.0']);
    input.log?.(`updating the ${schema} schema of ${database}`);
    await run(database, ['update-schema', '-d', path.join(input.schemaDir, schema, 'versioned')]);
  }
}

/**
 * Every port of the server, laid out from its frontend port as Temporal's own
 * defaults are around 7233 (history +1, matching +2, worker +6, HTTP +10,
 * membership 300 below), metrics at +8. The membership ports must stay below
 * 32768, so the frontend port must be from 1300 to 33067.
 */
export function temporalServerPorts(frontend: number): TemporalServerPorts {
  const membership = frontend - 300;
  if (membership < 1000 || membership + 6 > MAX_MEMBERSHIP_PORT)
    throw new Error(
      `production mode needs the Temporal frontend port (temporal.address) between 1300 and ${MAX_MEMBERSHIP_PORT - 6 + 300}: ` +
        `its membership ports (300 below it) are stored as a smallint; ${frontend} does not fit`,
    );
  return {
    frontend,
    history: frontend + 1,
    matching: frontend + 2,
    worker: frontend + 6,
    metrics: frontend + 8,
    frontendHttp: frontend + 10,
    membership: [membership, membership + 1, membership + 2, membership + 6],
  };
}

/** The server's persistence on the Postgres server of `databaseUrl` (its host, port, user and password). */
export function temporalPersistenceOf(
  databaseUrl: string,
  databases: { database: string; visibilityDatabase: string },
): TemporalPersistence {
  const url = new URL(databaseUrl);
  return {
    host: url.hostname || '127.0.0.1',
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username || 'postgres'),
    password: url.password ? decodeURIComponent(url.password) : undefined,
    ...databases,
  };
}

/**
 * Write the Temporal UI server's config under `root` (`<root>/config/algo.yaml`):
 * the UI on 127.0.0.1:`port`, talking to the frontend at `temporalAddress`.
 * Returns the arguments of `temporal-ui-server`.
 */
export function writeTemporalUiConfig(
  root: string,
  input: { temporalAddress: string; port: number; defaultNamespace: string },
): string[] {
  const configDir = path.join(root, 'config');
  fs.mkdirSync(configDir, { recursive: true });
  const config = {
    temporalGrpcAddress: input.temporalAddress,
    host: '127.0.0.1',
    port: input.port,
    enableUi: true,
    defaultNamespace: input.defaultNamespace,
    // Served to this machine only; the UI makes no cross-origin calls of its own.
    cors: { cookieInsecure: true, allowOrigins: [`http://127.0.0.1:${input.port}`, `http://localhost:${input.port}`] },
    refreshInterval: '1m',
    notifyOnNewVersion: false,
    forwardHeaders: [],
  };
  fs.writeFileSync(path.join(configDir, 'algo.yaml'), YAML.stringify(config));
  return ['--root', root, '--config', 'config', '--env', 'algo', 'start'];
}
