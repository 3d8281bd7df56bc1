import type { Command } from 'commander';
import { ensureDatabaseExists, migrateToLatest } from '../../adapters/postgres/migrate';
import { withContext } from '../context';

export function registerMigrateCommands(program: Command): void {
  program
    .command('migrate')
    .description('create the database if needed and migrate it to the latest schema')
    .action(async (_opts: unknown, cmd: Command) => {
      await withContext(cmd, async (ctx) => {
        const created = await ensureDatabaseExists(ctx.config.database.url);
        const result = await migrateToLatest(ctx.db());
        const applied = (result.results ?? []).map((r) => r.migrationName);
        ctx.out.result({ database: new URL(ctx.config.database.url).pathname.slice(1), created, applied }, () =>
          applied.length ? `applied ${applied.join(', ')}` : 'schema is up to date',
        );
      });
    });
}
