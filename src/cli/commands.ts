import type { Command } from 'commander';
import { registerIngestCommands } from './commands/ingest.command';
import { registerMigrateCommands } from './commands/migrate.command';
import { registerPricesCommands } from './commands/prices.command';

/** Every command module, registered on the program in help order. */
export function registerCommands(program: Command): void {
  registerIngestCommands(program);
  registerPricesCommands(program);
  registerMigrateCommands(program);
}
