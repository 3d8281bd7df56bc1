import { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadConfig } from '../../src/config/config';
import { resolveTemporalBinary } from '../../src/stack/temporal-binary';

let binary: Promise<string | null> | undefined;

/** The real `temporal` binary, resolved once per test file (configured, PATH, cache or a Go build). */
export function testTemporalBinary(): Promise<string | null> {
  binary ??= resolveTemporalBinary({
    configured: loadConfig().temporal.devServer.binary,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  return binary;
}

/**
 * A private Temporal dev server for one test file: the real binary on random
 * free ports (in memory, no UI), so test files never share or collide. Only
 * when no binary can be had here does it fall back to the SDK's download.
 * Call `teardown()` in afterAll.
 */
export async function startTestTemporal(): Promise<TestWorkflowEnvironment> {
  const path = await testTemporalBinary();
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: path ? { type: 'existing-path', path } : { type: 'cached-download' },
      ip: '127.0.0.1',
      log: { format: 'pretty', level: 'error' },
    },
  });
}
