import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const PROJECT_ROOT = path.resolve(__dirname, '../..');
/** The CLI as `npm run algo` runs it: tsx's launcher, whose child writes to the pipe without blocking. */
const TSX = path.join(PROJECT_ROOT, 'node_modules/.bin/tsx');
/**
 * A command with a large output that needs no server: 71 years of trading days (~285 KB of JSON), more than
 * a pipe's buffer (64 KiB) plus what tsx's launcher and the reader hold, so an exit before the flush always cuts it.
 */
const ARGS = ['src/cli/main.ts', '--json', 'calendar', '--from', '1990-01-01', '--to', '2060-12-31'];
// As a user's shell has it, without jest's variables (JSON has no colours anyway). With an exit right after the
// write (before the fix), this test read 65,536 bytes in three runs of three.
const ENV = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };

/**
 * Run the CLI with stdout an OS pipe (a shell's `|`, not the socket pair node
 * gives a child) whose reader starts late: the pipe fills while the command ends.
 */
function runWithSlowReader(): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const quoted = [TSX, ...ARGS].map((a) => `'${a}'`).join(' ');
    // pipefail: the exit code is the CLI's, not the reader's.
    const script = `set -o pipefail; ${quoted} | (sleep 2; cat)`;
    const child = spawn('bash', ['-c', script], { cwd: PROJECT_ROOT, env: ENV, stdio: ['ignore', 'pipe', 'ignore'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(chunks).toString('utf8') }));
  });
}

describe("the CLI's output is complete whatever stdout is (one exit path: exit after flushing)", () => {
  it('a slowly read pipe gets the same JSON as a file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'algo-cli-pipe-'));
    const file = path.join(dir, 'out.json');
    const fd = fs.openSync(file, 'w');
    try {
      execFileSync(TSX, ARGS, { cwd: PROJECT_ROOT, env: ENV, stdio: ['ignore', fd, 'inherit'] });
    } finally {
      fs.closeSync(fd);
    }
    const redirected = fs.readFileSync(file, 'utf8');
    // More than a pipe's buffer (64 KiB): an exit right after the write would cut it.
    expect(redirected.length).toBeGreaterThan(4 * 65_536);

    const piped = await runWithSlowReader();
    expect(piped.code).toBe(0);
    expect(piped.stdout.length).toBe(redirected.length);
    expect(JSON.parse(piped.stdout)).toEqual(JSON.parse(redirected));
  }, 60_000);

  it('no command ends the process itself: src/cli/main.ts is the one exit path', () => {
    const cliDir = path.join(PROJECT_ROOT, 'src/cli');
    const files = fs.readdirSync(cliDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    const exiting = files.filter(
      (f) => f !== 'main.ts' && /process\.exit\(/.test(fs.readFileSync(path.join(cliDir, f), 'utf8')),
    );
    expect(exiting).toEqual([]);
  });
});
