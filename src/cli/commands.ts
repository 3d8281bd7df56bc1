import type { Command } from 'commander';
import { registerCalendarCommands } from './commands/calendar.command';
import { registerIngestCommands } from './commands/ingest.command';
import { registerMailCommands } from './commands/mail.command';
import { registerMigrateCommands } from './commands/migrate.command';
import { registerPricesCommands } from './commands/prices.command';
import { registerSignalCommands } from './commands/signals.command';
import { registerStackCommands } from './commands/stack.command';
import { registerSubscriptionCommands } from './commands/subscribe.command';

/** Every command module, registered on the program in help order. */
export function registerCommands(program: Command): void {
  registerStackCommands(program);
  registerIngestCommands(program);
  registerPricesCommands(program);
  registerSubscriptionCommands(program);
  registerSignalCommands(program);
  registerCalendarCommands(program);
  registerMailCommands(program);
  registerMigrateCommands(program);
}
