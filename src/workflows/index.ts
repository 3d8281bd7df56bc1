// The worker's workflowsPath: every workflow type, by its exported name.
// Never rename one that a schedule or a history refers to.
export { ingestPricesWorkflow } from './ingest-prices.workflow';
export { dailyRunWorkflow } from './daily-run.workflow';
export { notifyTickerWorkflow } from './notify-ticker.workflow';
export { sendNotificationsWorkflow } from './send-notifications.workflow';
export { backtestWorkflow } from './backtest.workflow';
export { sweepWorkflow } from './sweep.workflow';
export { recommendWorkflow } from './recommend.workflow';
export { readjustTickerWorkflow, undoReadjustmentWorkflow } from './readjust-ticker.workflow';
export { dailyRunWatchdogWorkflow } from './daily-run-watchdog.workflow';
export { playgroundCleanupWorkflow } from './playground-cleanup.workflow';
