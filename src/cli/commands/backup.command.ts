import type { Command } from 'commander';
import { withContext } from '../context';

export function registerBackupCommands(program: Command): void {
  program
    .command('backup')
    .description(
      "dump the app database (pg_dump custom format) and, in production mode, Temporal's two databases beside it " +
        '(<file>.temporal, <file>.temporal_visibility); with the dev server, says how to back up its file',
    )
    .argument('<file>', 'the dump to write (refused if it, or a Temporal dump beside it, exists)')
    .action(async (file: string, _opts: unknown, cmd: Command) => {
      await withContext(cmd, async (ctx) => {
        const result = await ctx.services.backups.backup({ file });
        ctx.out.result(result, () =>
          [
            ...result.temporalDumps.map((d) => `wrote ${d.file} (${d.bytes} bytes) from database ${d.database}`),
            `wrote ${result.file} (${result.bytes} bytes) from database ${result.database}`,
            result.temporal,
          ].join('\n'),
        );
      });
    });

  program
    .command('restore')
    .description(
      'restore a dump of algo backup into an empty (or absent) app database, migrate it, rebuild Redis; in production ' +
        "mode also Temporal's databases from the dumps beside it, with the Temporal server stopped",
    )
    .argument('<file>', 'a dump written by algo backup')
    .action(async (file: string, _opts: unknown, cmd: Command) => {
      await withContext(cmd, async (ctx) => {
        const result = await ctx.services.backups.restore({ file });
        ctx.out.result(result, () =>
          [
            ...result.temporalRestored.map(
              (t) => `restored ${t.tables} tables from ${t.file} into database ${t.database}`,
            ),
            `restored ${result.tables} tables from ${result.file} into database ${result.database}`,
            result.migrationsApplied.length ? `applied ${result.migrationsApplied.join(', ')}` : 'schema is up to date',
            `rebuilt ${result.states.rebuilt} strategy states in Redis for ${result.states.tickers} tickers`,
            result.temporal,
          ].join('\n'),
        );
      });
    });
}
