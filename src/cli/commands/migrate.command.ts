import type { Command } from 'commander';
import { withContext } from '../context';

export function registerMigrateCommands(program: Command): void {
  program
    .command('migrate')
    .description('create the database if needed and migrate it to the latest schema')
    .action(async (_opts: unknown, cmd: Command) => {
      await withContext(cmd, async (ctx) => {
        const result = await ctx.services.migrate();
        ctx.out.result(result, () =>
          result.applied.length ? `applied ${result.applied.join(', ')}` : 'schema is up to date',
        );
      });
    });
}
