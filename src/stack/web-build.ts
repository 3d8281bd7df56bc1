import { spawn } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../config/config';
import { webAppBuilt } from '../api/web-dist';

/**
 * Build the web app (vite, web/vite.config.mts, into dist/web) when it is not
 * built yet, so that `stack up` and `demo` on a fresh clone serve /app/
 * without a separate `npm run build`. An existing build is left as it is
 * (`npm run build:web` rebuilds). Offline: vite and the app's libraries are local packages.
 */
export async function ensureWebAppBuilt(log: (line: string) => void): Promise<'built' | 'present'> {
  if (webAppBuilt()) return 'present';
  log('web app: building (npm run build:web) ...');
  const vite = path.join(PROJECT_ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [vite, 'build', '--config', 'web/vite.config.mts', '--logLevel', 'warn'], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true' },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`building the web app failed (vite exited ${code}): ${stderr.trim().slice(-1000)}`)),
    );
  });
  log('web app: built into dist/web');
  return 'built';
}
