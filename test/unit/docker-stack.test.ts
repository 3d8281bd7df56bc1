import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { unsafeListenReason, shippedSecrets } from '../../src/api/listen-guard';
import { buildProgram } from '../../src/cli/main';
import { loadConfig, PROJECT_ROOT } from '../../src/config/config';
import { parseScheduleTime } from '../../src/services/daily-schedule.service';
import {
  DOCKER_SECRETS,
  DOCKER_SETTINGS,
  generateDockerSecrets,
  renderDockerEnv,
  upgradeDockerEnv,
  type DockerSecretName,
  type DockerSettingName,
} from '../../src/stack/docker-env';
import { TEMPORAL_SERVER_VERSION } from '../../src/stack/temporal-server';

// CI has no Docker engine: these read docker-compose.yml and the Dockerfile and
// check what `docker compose up` would hand each container.

const composeText = fs.readFileSync(path.join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8');
const dockerfile = fs.readFileSync(path.join(PROJECT_ROOT, 'Dockerfile'), 'utf8');

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  restart?: string;
  ports?: string[];
  /** A list of names, or conditions by name. */
  depends_on?: string[] | Record<string, { condition: string }>;
}

/** Compose's variable interpolation (`${X}`, `${X:-default}`, `${X:?error}`, `$$`) over `env`. */
function interpolate(text: string, env: Record<string, string>): string {
  return text.replace(
    /\$\$|\$\{([A-Z0-9_]+)(?:(:-|:\?)([^}]*))?\}/g,
    (whole, name?: string, op?: string, arg?: string) => {
      if (whole === '$$') return '$';
      const value = env[name!];
      if (value !== undefined && value !== '') return value;
      if (op === ':-') return arg ?? '';
      if (op === ':?') throw new Error(`required variable ${name} is missing: ${arg}`);
      return '';
    },
  );
}

/** The services as `docker compose config` would resolve them with this `.env`. */
function services(env: Record<string, string>): Record<string, ComposeService> {
  return (YAML.parse(interpolate(composeText, env), { merge: true }) as { services: Record<string, ComposeService> })
    .services;
}

/** The `.env` that `algo docker env` writes, read back as compose reads it. */
function generatedEnv(): Record<string, string> {
  const text = renderDockerEnv(generateDockerSecrets());
  return Object.fromEntries(
    text
      .split('\n')
      .filter((line) => line && !line.startsWith('#'))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

const appServices = (all: Record<string, ComposeService>) =>
  Object.entries(all).filter(([, s]) => s.image === 'algo-signals:local');

describe('docker-compose.yml', () => {
  it('starts only with the generated .env: without it, compose stops at the first secret', () => {
    expect(() => services({})).toThrow(/required variable [A-Z_]+ is missing: run npm run algo -- docker env/);
    for (const name of Object.keys(DOCKER_SECRETS)) {
      expect(composeText).toContain(`\${${name}:?`);
      // Never a fallback value for a secret.
      expect(composeText).not.toContain(`\${${name}:-`);
    }
  });

  it('generates fresh secrets, different each time and from the shipped defaults', () => {
    const a = generateDockerSecrets();
    const b = generateDockerSecrets();
    const shipped = shippedSecrets();
    for (const name of Object.keys(DOCKER_SECRETS) as DockerSecretName[]) {
      expect(a[name]).toMatch(/^[0-9a-f]{24,}$/);
      expect(a[name]).not.toBe(b[name]);
    }
    expect(a.API_KEY).not.toBe(shipped.apiKey);
    expect(shipped.tokenSecrets).not.toContain(a.TOKEN_SECRETS);
    expect(composeText).not.toMatch(/local-dev-api-key|local-dev-token-secret|change-me/);
  });

  it('renames the TOKEN_SECRET line of an older .env to TOKEN_SECRETS, same secret, and leaves a current one alone', () => {
    const older = renderDockerEnv(generateDockerSecrets()).replace(/^TOKEN_SECRETS=/m, 'TOKEN_SECRET=');
    const secret = /^TOKEN_SECRET=(.*)$/m.exec(older)![1];
    const upgraded = upgradeDockerEnv(older)!;
    expect(upgraded).toMatch(new RegExp(`^TOKEN_SECRETS=${secret}$`, 'm'));
    expect(upgraded).not.toMatch(/^TOKEN_SECRET=/m);
    expect(upgradeDockerEnv(upgraded)).toBeNull();
  });

  it("gives every app service an environment that passes the app's config validation and listen guard", () => {
    const env = generatedEnv();
    const apps = appServices(services(env));
    expect(apps.map(([name]) => name).sort()).toEqual(['api', 'mail-sink', 'migrate', 'schedule', 'worker']);
    for (const [name, service] of apps) {
      const environment = service.environment ?? {};
      let config;
      try {
        config = loadConfig(environment);
      } catch (err) {
        throw new Error(`service ${name}: ${(err as Error).message}`);
      }
      expect({ name, unsafe: unsafeListenReason(config.api) }).toEqual({ name, unsafe: null });
      expect(config.database.url).toBe(`postgres://postgres:${env.POSTGRES_PASSWORD}@postgres:5432/algo_signals`);
      expect(config.api.apiKey).toBe(env.API_KEY);
      expect(config.api.tokenSecrets).toEqual([env.TOKEN_SECRETS]);
      expect(config.backtests.reports.s3.secretAccessKey).toBe(env.MINIO_ROOT_PASSWORD);
      expect(config.api.trustProxy).toBe(false);
      // Watched alike: JSON logs, alerts at the .env's defaults, links to the UI's published port.
      expect({ name, format: config.logging.format }).toEqual({ name, format: 'json' });
      expect(config.alerts).toEqual({ deadline: DOCKER_SETTINGS.ALERTS_DEADLINE.default });
      expect(config.temporal.uiUrl).toBe('http://localhost:8233');
    }
    const all = services(env);
    expect(all.api.environment?.API_HOST).toBe('0.0.0.0');
    // The containers that check these passwords get the same ones.
    expect(all.postgres.environment?.POSTGRES_PASSWORD).toBe(env.POSTGRES_PASSWORD);
    expect(all.temporal.environment?.POSTGRES_PWD).toBe(env.POSTGRES_PASSWORD);
    expect((all.minio.environment as Record<string, string>).MINIO_ROOT_PASSWORD).toBe(env.MINIO_ROOT_PASSWORD);
  });

  it('passes PUBLIC_URL and TRUST_PROXY through for a reverse proxy', () => {
    const env = { ...generatedEnv(), PUBLIC_URL: 'https://signals.example.com', TRUST_PROXY: '1' };
    const config = loadConfig(services(env).api.environment);
    expect(config.api.publicUrl).toBe('https://signals.example.com');
    expect(config.api.trustProxy).toBe(1);
  });

  it('health-checks the worker and the API, and starts them after what they need', () => {
    const all = services(generatedEnv());
    expect(all.api.healthcheck?.test.join(' ')).toContain('http://127.0.0.1:8000/health');
    expect(all.worker.healthcheck?.test.join(' ')).toContain(all.worker.environment?.WORKER_HEALTH_FILE);
    const config = loadConfig(all.worker.environment);
    expect(config.worker.healthFile).toBe('/tmp/worker-health');
    for (const [name, service] of Object.entries(all)) {
      const dependsOn = service.depends_on ?? [];
      for (const dependency of Array.isArray(dependsOn) ? dependsOn : Object.keys(dependsOn)) {
        expect({ name, dependency, known: dependency in all }).toEqual({ name, dependency, known: true });
      }
      // Waiting for a service to be healthy needs a health check on it, else compose waits forever.
      if (Array.isArray(dependsOn)) continue;
      for (const [dependency, { condition }] of Object.entries(dependsOn)) {
        if (condition !== 'service_healthy') continue;
        expect({ dependency, healthcheck: all[dependency].healthcheck !== undefined }).toEqual({
          dependency,
          healthcheck: true,
        });
      }
    }
  });

  it('runs the Temporal server release and persistence of production mode', () => {
    const all = services(generatedEnv());
    const temporal = all.temporal;
    expect(temporal.image).toBe(`temporalio/auto-setup:${TEMPORAL_SERVER_VERSION}`);
    expect(temporal.environment?.DB).toBe('postgres12');
    // The app knows it as production mode, so `algo backup` dumps the two databases auto-setup creates
    // (its defaults DBNAME=temporal, VISIBILITY_DBNAME=temporal_visibility) on the app's Postgres server.
    const config = loadConfig(all.worker.environment);
    expect(config.temporal.server).toBe('postgres');
    expect(config.temporal.production).toMatchObject({
      database: 'temporal',
      visibilityDatabase: 'temporal_visibility',
    });
    expect(temporal.environment).not.toHaveProperty('DBNAME');
    expect(temporal.environment).not.toHaveProperty('VISIBILITY_DBNAME');
    expect(new URL(config.database.url).hostname).toBe(temporal.environment?.POSTGRES_SEEDS);
  });

  it("creates the daily Schedule and the watchdog's with the real CLI command, once Temporal serves the namespace", () => {
    const all = services(generatedEnv());
    const schedule = all.schedule;
    // The same entry point as the migrate service, which runs the CLI too.
    const entry = all.migrate.command!.slice(0, 4);
    expect(entry).toEqual(['node', '--require', 'tsx/cjs', 'src/cli/main.ts']);
    expect(fs.existsSync(path.join(PROJECT_ROOT, entry[3]))).toBe(true);
    expect(schedule.command!.slice(0, 4)).toEqual(entry);
    // The words name a real command of the CLI, and its options parse as that command parses them.
    const words = schedule.command!.slice(4);
    let command = buildProgram();
    while (words.length > 0 && !words[0].startsWith('-')) {
      const next = command.commands.find((c) => c.name() === words[0]);
      expect({ word: words[0], known: next !== undefined }).toEqual({ word: words[0], known: true });
      command = next!;
      words.shift();
    }
    expect(command.parent?.name()).toBe('schedule');
    expect(command.name()).toBe('create');
    const parsed = command.parseOptions(words);
    expect(parsed).toEqual({ operands: [], unknown: [] });
    const at = (command.opts() as { at: string }).at;
    expect(at).toBe(DOCKER_SETTINGS.SCHEDULE_AT.default);
    expect(() => parseScheduleTime(at)).not.toThrow();
    expect(services({ ...generatedEnv(), SCHEDULE_AT: '07:05' }).schedule.command!.slice(-2)).toEqual([
      '--at',
      '07:05',
    ]);
    // One-shot, retried only if it fails; it waits for a healthy Temporal, whose health check asks for the
    // namespace the app uses (auto-setup registers it after the server starts).
    expect(schedule.restart).toBe('on-failure');
    expect(schedule.depends_on).toEqual({ temporal: { condition: 'service_healthy' } });
    const namespace = loadConfig(schedule.environment).temporal.namespace;
    const check = all.temporal.healthcheck!.test;
    expect(check.slice(0, 4)).toEqual(['CMD', 'temporal', 'operator', 'namespace']);
    expect(check[check.indexOf('--namespace') + 1]).toBe(namespace);
    expect(check[check.indexOf('--address') + 1]).toBe(loadConfig(schedule.environment).temporal.address);
    // The worker polls only once that namespace exists.
    expect((all.worker.depends_on as Record<string, { condition: string }>).temporal.condition).toBe('service_healthy');
  });

  it("publishes the worker's metrics endpoint on the host's loopback, and the API's /metrics with the API", () => {
    const all = services(generatedEnv());
    const worker = loadConfig(all.worker.environment).worker;
    expect(worker.metricsAddress).toBeDefined();
    const [host, port] = worker.metricsAddress!.split(':');
    // Inside the container on every interface, so the published port reaches it; on the host only on loopback.
    expect(host).toBe('0.0.0.0');
    expect(all.worker.ports).toContain(`127.0.0.1:${port}:${port}`);
    const api = loadConfig(all.api.environment).api;
    expect(all.api.ports).toContain(`127.0.0.1:${api.port}:${api.port}`);
    for (const published of Object.values(all).flatMap((s) => s.ports ?? []))
      expect(published).toMatch(/^127\.0\.0\.1:/);
  });

  it('reads the alert address, the deadline and the schedule time from .env, with documented defaults', () => {
    for (const name of Object.keys(DOCKER_SETTINGS) as DockerSettingName[]) {
      expect(composeText).toContain(`\${${name}:-${DOCKER_SETTINGS[name].default}}`);
      expect(renderDockerEnv(generateDockerSecrets())).toContain(`\n${name}=${DOCKER_SETTINGS[name].default}\n`);
    }
    const env = { ...generatedEnv(), ALERTS_EMAIL: 'ops@example.com', ALERTS_DEADLINE: '19:15' };
    for (const [name, service] of appServices(services(env))) {
      expect({ name, alerts: loadConfig(service.environment).alerts }).toEqual({
        name,
        alerts: { email: 'ops@example.com', deadline: '19:15' },
      });
    }
    // A bad value stops the services with the key named, instead of a watchdog that never tells anyone.
    expect(() => loadConfig(services({ ...env, ALERTS_EMAIL: 'ops' }).worker.environment)).toThrow(/alerts\.email/);
    expect(() => loadConfig(services({ ...env, ALERTS_DEADLINE: '25:00' }).worker.environment)).toThrow(
      /alerts\.deadline/,
    );
  });
});

describe('Dockerfile', () => {
  const stages = dockerfile.split(/^FROM /m).slice(1);

  it('builds in a stage of its own with `npm run build` and copies only the built web app into the runtime', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const build = stages.find((s) => /^RUN npm run build$/m.test(s));
    expect(build).toBeDefined();
    expect(build).toMatch(/^RUN npm ci --no-audit --no-fund$/m);
    const buildName = /^\S+ AS (\S+)/.exec(build!)?.[1];
    const runtime = stages[stages.length - 1];
    expect(runtime).toContain(`COPY --from=${buildName} /app/dist/web ./dist/web`);
    expect(runtime).toMatch(/npm ci --omit=dev/);
    // Both stages run the same Node.
    const images = stages.map((s) => s.split(/\s/)[0]);
    expect(new Set(images).size).toBe(1);
  });

  it('copies into the build stage what `npm run build` reads, none of it excluded by .dockerignore', () => {
    const build = stages.find((s) => /^RUN npm run build$/m.test(s))!;
    const copied = [...build.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1].split(' '));
    for (const needed of ['package.json', 'package-lock.json', 'tsconfig.json', 'src', 'web', 'config']) {
      expect(copied).toContain(needed);
    }
    const ignored = fs
      .readFileSync(path.join(PROJECT_ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    for (const entry of copied) expect(ignored).not.toContain(entry);
    expect(ignored).toContain('.env');
  });
});
