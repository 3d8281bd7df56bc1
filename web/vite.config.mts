import path from 'node:path';
import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

/**
 * The web app (Preact + preact-iso), served by the API under /app/ from
 * dist/web (src/api/web-app.ts). `npm run build:web` builds it; `npx vite --config
 * web/vite.config.mts` serves it with hot reload, proxying the API on :8000.
 */
const here = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: here,
  base: '/app/',
  plugins: [preact()],
  build: {
    outDir: path.resolve(here, '../dist/web'),
    emptyOutDir: true,
    // One chunk per lazy page; lightweight-charts gets its own chunk, loaded only by pages with a chart.
    chunkSizeWarningLimit: 250,
  },
  server: {
    proxy: Object.fromEntries(
      [
        '/tickers',
        '/subscriptions',
        '/signals',
        '/backtests',
        '/runs',
        '/confirm',
        '/unsubscribe',
        '/health',
        '/documentation',
        '/manage',
        '/strategies',
        '/playground',
        '/sweeps',
        '/recommendations',
      ].map((p) => [p, 'http://127.0.0.1:8000']),
    ),
  },
});
