import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { unsafeListenReason, shippedSecrets } from '../../src/api/listen-guard';
import { loadConfig, PROJECT_ROOT } from '../../src/config/config';
import {
  DOCKER_SECRETS,
  generateDockerSecrets,
  renderDockerEnv,
  upgradeDockerEnv,
  type DockerSecretName,
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
    expect(apps.map(([name]) => name).sort()).toEqual(['api', 'mail-sink', 'migrate', 'worker']);
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
    }
  });

  it('runs the Temporal server release and persistence of production mode', () => {
    const temporal = services(generatedEnv()).temporal;
    expect(temporal.image).toBe(`temporalio/auto-setup:${TEMPORAL_SERVER_VERSION}`);
    expect(temporal.environment?.DB).toBe('postgres12');
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
