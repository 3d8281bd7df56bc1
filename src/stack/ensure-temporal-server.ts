import { ensureTemporalServerBinaries } from './temporal-server-binaries';

/**
 * `tsx src/stack/ensure-temporal-server.ts`: make sure production mode's
 * binaries (the Temporal server, its sql tool, the UI server) are in the cache,
 * building the missing ones with Go (progress on stderr), and print their paths.
 * Used by .ci/run so the production-mode tests never wait on a build.
 */
async function main(): Promise<void> {
  const binaries = await ensureTemporalServerBinaries({ log: (line) => process.stderr.write(`${line}\n`) });
  process.stdout.write(`${JSON.stringify(binaries, null, 2)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`error ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
