import type { Command } from 'commander';

/** Every command module, registered on the program in help order. */
export function registerCommands(program: Command): void {
  void program;
}
