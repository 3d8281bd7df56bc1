import { loadConfig } from '../config/config';
import { ensureTemporalBinary } from './temporal-binary';

/**
 * `tsx src/stack/ensure-temporal.ts`: make sure a Temporal CLI binary exists
 * (configured, on PATH, cached, built or downloaded) and print its path on
 * stdout. Used by .ci/run so the tests never wait on a build.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const binary = await ensureTemporalBinary({
    configured: config.temporal.devServer.binary,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${binary}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`error ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
