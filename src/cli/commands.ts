import type { Command } from 'commander';
import { registerBacktestCommands } from './commands/backtest.command';
import { registerBackupCommands } from './commands/backup.command';
import { registerCalendarCommands } from './commands/calendar.command';
import { registerDailyCommands } from './commands/daily.command';
import { registerDemoCommands } from './commands/demo.command';
import { registerDockerCommands } from './commands/docker.command';
import { registerScheduleCommands } from './commands/schedule.command';
import { registerIngestCommands } from './commands/ingest.command';
import { registerMailCommands } from './commands/mail.command';
import { registerMigrateCommands } from './commands/migrate.command';
import { registerPricesCommands } from './commands/prices.command';
import { registerReadjustCommands } from './commands/readjust.command';
import { registerSignalCommands } from './commands/signals.command';
import { registerStackCommands } from './commands/stack.command';
import { registerStrategyCommands } from './commands/strategy.command';
import { registerSubscriptionCommands } from './commands/subscribe.command';
import { registerResearchCommands } from './commands/research.command';
import { registerTickerCommands } from './commands/tickers.command';

/** Every command module, registered on the program in help order. */
export function registerCommands(program: Command): void {
  registerDemoCommands(program);
  registerStackCommands(program);
  registerDockerCommands(program);
  registerIngestCommands(program);
  registerPricesCommands(program);
  registerReadjustCommands(program);
  registerDailyCommands(program);
  registerScheduleCommands(program);
  registerSubscriptionCommands(program);
  registerTickerCommands(program);
  registerSignalCommands(program);
  registerBacktestCommands(program);
  registerCalendarCommands(program);
  registerMailCommands(program);
  registerMigrateCommands(program);
  registerBackupCommands(program);
  registerResearchCommands(program);
  registerStrategyCommands(program);
}
