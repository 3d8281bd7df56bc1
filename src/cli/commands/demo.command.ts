import type { Command } from 'commander';
import { CsvMarketDataProvider } from '../../adapters/market-data/csv-market-data.provider';
import { PostgresSubscriberRepository } from '../../adapters/postgres/postgres-subscriber.repository';
import { listMailSink } from '../../mail-sink';
import { stackUp, stackPaths } from '../../stack';
import type { AppConfig } from '../../config/config';
import { isTradingDay } from '../../domain/calendar';
import type { IsoDate } from '../../domain/dates';
import { enrichBars } from '../../domain/indicators';
import { validatePriceRows } from '../../domain/price-validation';
import { runStrategy } from '../../domain/strategies';
import { withContext } from '../context';
import { color } from '../output';
import { runDaily, renderDailyRun } from './daily.command';
import { configuredStrategies } from '../../domain/strategies/configured-strategies';

export const DEMO_SUBSCRIBER = 'demo@example.com';

/**
 * The latest trading day of the bundled sample on which some configured
 * strategy says BUY or SELL for some ticker: a day whose run sends email.
 */
export async function latestSignalDay(config: AppConfig): Promise<IsoDate> {
  const provider = new CsvMarketDataProvider(config.marketData.csvDir);
  let best = '';
  for (const ticker of config.tickers) {
    const { bars } = validatePriceRows(await provider.fetchDaily({ ticker, to: '9999-12-31' }), { asOf: '9999-12-31' });
    const enriched = enrichBars(bars, []);
    for (const plan of configuredStrategies(config.strategies, ticker)) {
      const { records } = runStrategy(plan.name, plan.params, enriched);
      const last = records.filter((r) => r.signal === 'BUY' || r.signal === 'SELL').pop();
      if (last && last.date > best && isTradingDay(last.date)) best = last.date;
    }
  }
  if (!best) throw new Error(`no BUY or SELL signal in the data of ${config.marketData.csvDir}`);
  return best;
}

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
        const subscribers = new PostgresSubscriberRepository(ctx.db());
        const subscriptions = config.tickers.flatMap((ticker) =>
          configuredStrategies(config.strategies, ticker).map((s) => ({ ticker, strategy: s.name })),
        );
        await subscribers.subscribe({ email: DEMO_SUBSCRIBER, subscriptions, confirmed: true });

        const date = await latestSignalDay(config);
        out.info(color.bold(`4/5 daily job for ${date} (ingests the sample, runs ${subscriptions.length} strategy pairs, emails)`));
        let temporalUi = '';
        const result = await runDaily(ctx, { date, provider: 'csv', csvDir: config.marketData.csvDir }, (started) => (temporalUi = started.url));

        out.info(color.bold('5/5 results'));
        const mail = (await listMailSink(stackPaths(config).mailDir)).filter((m) => m.to.includes(DEMO_SUBSCRIBER));
        const summary = {
          date,
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
