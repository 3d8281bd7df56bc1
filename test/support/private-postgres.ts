import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A Postgres cluster of its own (Debian's pg_createcluster), on its own port,
 * for tests that restart the server: the shared 5432 cluster is never touched.
 */
export interface PrivatePostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust auth). */
  url: string;
  port: number;
  /** Restart the server (fast mode: every backend gets 57P01 and is closed). */
  restart(): Promise<void>;
  /** Stop and delete the cluster and its data. */
  drop(): Promise<void>;
}

/** The Postgres major version installed (the newest under /etc/postgresql), or undefined without Debian's tools. */
export function installedPostgresVersion(): string | undefined {
  if (!fs.existsSync('/etc/postgresql') || !fs.existsSync('/usr/bin/pg_createcluster')) return undefined;
  const versions = fs
    .readdirSync('/etc/postgresql')
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0];
}

/** True when this process may create clusters (root or the postgres user, with Debian's tools). */
export function canCreateCluster(): boolean {
  return installedPostgresVersion() !== undefined && (process.getuid?.() === 0 || process.env.USER === 'postgres');
}

/** Create and start a trust-auth cluster on `port`. */
export async function createPrivatePostgres(port: number): Promise<PrivatePostgres> {
  const version = installedPostgresVersion();
  if (!version) throw new Error('no Debian postgresql-common tools (pg_createcluster)');
  const name = `algo_test_${crypto.randomBytes(3).toString('hex')}`;
  await run('pg_createcluster', [version, name, '-p', String(port), '--', '--auth=trust']);
  const drop = async () => {
    await run('pg_dropcluster', ['--stop', version, name]).catch(() => undefined);
  };
  try {
    await run('pg_ctlcluster', [version, name, 'start']);
  } catch (err) {
    await drop();
    throw err;
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    restart: async () => {
      await run('pg_ctlcluster', [version, name, 'restart', '-m', 'fast']);
    },
    drop,
  };
}
