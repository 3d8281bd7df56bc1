import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../config/config';
import { buildApi, type ApiDeps } from './build-api';

/**
 * `npm run openapi`: build the API in-process (no database, no network: the
 * dependencies are never called while routes register) and write its OpenAPI
 * document, the one `/docs/json` serves, to the given file. openapi-typescript
 * then turns it into web/src/api/schema.d.ts for the web app's typed client.
 */
async function main(): Promise<void> {
  const out = path.resolve(process.argv[2] ?? 'dist/openapi.json');
  const unused = new Proxy(
    {},
    { get: () => () => Promise.reject(new Error('not available while writing the OpenAPI document')) },
  );
  const config = loadConfig();
  const app = buildApi({
    config,
    subscribers: unused,
    changes: unused,
    signals: unused,
    deliveries: unused,
    mailer: unused,
    signer: unused,
    backtests: unused,
    reports: unused,
    gateway: unused,
    webApp: false,
  } as unknown as ApiDeps);
  await app.ready();
  const document = app.swagger();
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${JSON.stringify(document, null, 2)}\n`);
  await app.close();
  process.stderr.write(`wrote ${path.relative(process.cwd(), out)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`openapi: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
