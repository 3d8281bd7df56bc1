import path from 'node:path';
import type { Command } from 'commander';
import { listMailSink } from '../../mail-sink';
import { withContext } from '../context';

export function registerMailCommands(program: Command): void {
  const mail = program.command('mail').description('the local mail sink');
  mail
    .command('list')
    .description('messages received by the local mail sink, oldest first')
    .action(async (_opts: unknown, cmd: Command) => {
      await withContext(cmd, async (ctx) => {
        const dir = path.join(ctx.config.dataDir, 'mail');
        const messages = await listMailSink(dir);
        ctx.out.result(messages, () =>
          [
            ...messages.map((m) => `${m.date.slice(0, 19).replace('T', ' ')}  ${m.to.padEnd(28)}  ${m.subject}`),
            `${messages.length} message${messages.length === 1 ? '' : 's'} in ${dir}`,
          ].join('\n'),
        );
      });
    });
}
