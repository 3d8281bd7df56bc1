import { DefaultLogger, Runtime, type LogEntry, type Logger } from '@temporalio/worker';
import type { AppConfig } from './config/config';

/** One log line as JSON: time, level, message and the SDK's attributes (workflow and activity ids). */
export function jsonLogLine(entry: LogEntry): string {
  const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
  return `${JSON.stringify({ time, level: entry.level.toLowerCase(), msg: entry.message, ...entry.meta })}\n`;
}

/**
 * Install the worker process's Temporal Runtime (once, before any connection):
 * its logger (JSON lines on stdout when `logging.format` is `json`, the SDK's
 * own format otherwise; the native core's logs are forwarded to it), and with
 * `worker.metricsAddress` a Prometheus endpoint (`/metrics`) that serves the
 * SDK's metrics and the app's (src/workflows/run-metrics.ts). Returns the logger.
 */
export function installWorkerRuntime(config: AppConfig): Logger {
  const level = config.logging.level;
  const logger =
    config.logging.format === 'json'
      ? new DefaultLogger(level, (entry) => process.stdout.write(jsonLogLine(entry)))
      : new DefaultLogger(level);
  Runtime.install({
    logger,
    telemetryOptions: {
      logging: { filter: { core: level, other: 'WARN' }, forward: {} },
      ...(config.worker.metricsAddress
        ? { metrics: { prometheus: { bindAddress: config.worker.metricsAddress } } }
        : {}),
    },
  });
  return logger;
}
