import type { Command } from 'commander';
import { listMailSink } from '../../mail-sink';
import { stackUp, stackPaths } from '../../stack';
import { withContext } from '../context';
import { color } from '../output';
import { todayInNewYork } from '../options';
import { dailyRunHeadline } from '../../services/daily-run-headline';
import { runDaily, renderDailyRun } from './daily.command';

export const DEMO_SUBSCRIBER = 'demo@example.com';

/** `algo demo`: the README's first command, the whole main job on the embedded defaults. */
export function registerDemoCommands(program: Command): void {
  program
    .command('demo')
    .description('bring the stack up and run the main job end to end on the bundled sample data')
    .action(async (_o: unknown, cmd: Command) => {
      await withContext(cmd, async (ctx) => {
        const { config, out } = ctx;
        out.info(color.bold('1/5 stack up'));
        await stackUp(config, { log: (line) => out.info(`  ${line}`) });

        out.info(color.bold('2/5 daily schedule (weekdays 18:30 New York)'));
        await ctx.services.dailySchedule.create();

        out.info(color.bold(`3/5 confirmed demo subscriber ${DEMO_SUBSCRIBER}`));
        // Every configured strategy of every configured ticker, confirmed: no confirmation email to follow.
        const subscribed = await ctx.services.subscriptions.subscribe({
          email: DEMO_SUBSCRIBER,
          tickers: config.tickers,
          confirmed: true,
          today: todayInNewYork(),
        });

        const date = await ctx.services.latestSignalDay();
        const pairs = subscribed.subscriptions.length;
        out.info(color.bold(`4/5 daily job for ${date} (ingests the sample, runs ${pairs} strategy pairs, emails)`));
        let temporalUi = '';
        const result = await runDaily(
          ctx,
          { date, provider: 'csv', csvDir: config.marketData.csvDir },
          (started) => (temporalUi = started.url),
        );

        out.info(color.bold('5/5 results'));
        const mail = (await listMailSink(stackPaths(config).mailDir)).filter((m) => m.to.includes(DEMO_SUBSCRIBER));
        const summary = {
          date,
          headline: dailyRunHeadline(result),
          signals: result.signals,
          notifications: result.notifications,
          emails: mail.map((m) => ({ subject: m.subject, file: m.file })),
          mailDir: stackPaths(config).mailDir,
          temporalUi,
          api: `http://${config.api.host}:${config.api.port}/docs`,
        };
        out.result(summary, () =>
          [
            renderDailyRun(result),
            '',
            `emails to ${DEMO_SUBSCRIBER} (${summary.mailDir}):`,
            ...summary.emails.map((e) => `  ${e.subject}  ${color.dim(e.file)}`),
            '',
            `Temporal UI: ${summary.temporalUi}`,
            `API docs:    ${summary.api}`,
            `More: npm run algo -- signals --date ${date} | mail list | schedule describe | stack down`,
          ].join('\n'),
        );
      });
    });
}
