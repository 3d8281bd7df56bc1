import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

// The layer rules of .dependency-cruiser.cjs (run by `npm run lint`): today's
// tree passes them, and a file breaking one is reported by name.
const root = path.resolve(__dirname, '../..');
const depcruise = (target: string) =>
  spawnSync(
    path.join(root, 'node_modules/.bin/depcruise'),
    [target, '--config', '.dependency-cruiser.cjs', '--output-type', 'err'],
    { cwd: root, encoding: 'utf8' },
  );

describe('layer rules', () => {
  it('src has no dependency running the wrong way', () => {
    const result = depcruise('src');
    expect(result.stdout + result.stderr).not.toMatch(/error/);
    expect(result.status).toBe(0);
  }, 60_000);

  it('an adapter importing an activity module is refused', () => {
    const probe = path.join(root, 'src/adapters/layer-probe.ts');
    fs.writeFileSync(probe, "export { createActivities } from '../activities';\n");
    try {
      const result = depcruise('src/adapters');
      expect(result.status).not.toBe(0);
      expect(result.stdout).toMatch(/adapters-implement-ports: src\/adapters\/layer-probe\.ts/);
    } finally {
      fs.rmSync(probe);
    }
  }, 60_000);

  it('an API route or a CLI command building an adapter or calling an activity is refused', () => {
    const probes = [
      [
        'src/api/routes/layer-probe.routes.ts',
        "export { PostgresPriceRepository } from '../../adapters/postgres/postgres-price.repository';\n",
      ],
      [
        'src/cli/commands/layer-probe.command.ts',
        "export { createSignalActivities } from '../../activities/signals.activities';\n",
      ],
    ] as const;
    for (const [file, text] of probes) fs.writeFileSync(path.join(root, file), text);
    try {
      const result = depcruise('src');
      expect(result.status).not.toBe(0);
      expect(result.stdout).toMatch(/shells-call-services: src\/api\/routes\/layer-probe\.routes\.ts/);
      expect(result.stdout).toMatch(/shells-call-services: src\/cli\/commands\/layer-probe\.command\.ts/);
    } finally {
      for (const [file] of probes) fs.rmSync(path.join(root, file));
    }
  }, 60_000);
});
