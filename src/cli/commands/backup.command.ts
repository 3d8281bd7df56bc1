import type { Command } from 'commander';
import { withContext } from '../context';

export function registerBackupCommands(program: Command): void {
  program
    .command('backup')
    .description("write a consistent dump of the app database (pg_dump custom format); says how to back up Temporal's")
    .argument('<file>', 'the dump to write (refused if it exists)')
    .action(async (file: string, _opts: unknown, cmd: Command) => {
      await withContext(cmd, async (ctx) => {
        const result = await ctx.services.backups.backup({ file });
        ctx.out.result(result, () =>
          [`wrote ${result.file} (${result.bytes} bytes) from database ${result.database}`, result.temporal].join('\n'),
        );
      });
    });

  program
    .command('restore')
    .description('restore a dump of algo backup into an empty (or absent) app database, migrate it, rebuild Redis')
    .argument('<file>', 'a dump written by algo backup')
    .action(async (file: string, _opts: unknown, cmd: Command) => {
      await withContext(cmd, async (ctx) => {
        const result = await ctx.services.backups.restore({ file });
        ctx.out.result(result, () =>
          [
            `restored ${result.tables} tables from ${result.file} into database ${result.database}`,
            result.migrationsApplied.length ? `applied ${result.migrationsApplied.join(', ')}` : 'schema is up to date',
            `rebuilt ${result.states.rebuilt} strategy states in Redis for ${result.states.tickers} tickers`,
            result.temporal,
          ].join('\n'),
        );
      });
    });
}
