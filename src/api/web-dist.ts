import fs from 'node:fs';
import path from 'node:path';

/** Where `npm run build:web` (vite, web/vite.config.mts) writes the web app. */
export const WEB_DIST_DIR = path.resolve(__dirname, '../../dist/web');

/** True when the web app's assets are built (stack up and demo build them when not). */
export function webAppBuilt(dir = WEB_DIST_DIR): boolean {
  return fs.existsSync(path.join(dir, 'index.html'));
}
