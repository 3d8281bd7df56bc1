/**
 * The local stack: what `algo stack up | down | status` (and `algo demo`) run.
 * Processes it manages are listed in ./stack-processes.ts; adding one is one entry there.
 */
export { stackUp, stackDown, stackStatus, stackPaths } from './stack';
export type { StackPart, StackUpPart, StackDownPart, StackAction, StackOptions } from './stack';
export { STACK_PROCESSES, logLineReady, tsxCommand } from './stack-processes';
export type { ManagedProcess, StackContext, ReadinessCheck } from './stack-processes';
export {
  ensureTemporalBinary,
  resolveTemporalBinary,
  defaultTemporalCacheDir,
  TEMPORAL_CLI_VERSION,
} from './temporal-binary';
