import fs from 'node:fs';
import path from 'node:path';
import { ensureTemporalServerBinaries, TEMPORAL_UI_SERVER_VERSION } from '../../src/stack/temporal-server-binaries';
import { postgresSchemaDir, TEMPORAL_SERVER_VERSION } from '../../src/stack/temporal-server';
import { tempDir } from '../support/mail';

// The build of production mode's binaries, with a stand-in `go` that records its calls,
// prints what `go install -v` prints (a package per line) and "installs" into GOBIN.
describe('ensureTemporalServerBinaries', () => {
  let tmp: string;
  let go: string;
  let calls: string;
  let modCache: string;

  beforeEach(() => {
    tmp = tempDir('algo-server-bin-');
    calls = path.join(tmp, 'go-calls.txt');
    modCache = path.join(tmp, 'gomodcache');
    fs.mkdirSync(path.join(postgresSchemaDir(modCache), 'temporal', 'versioned'), { recursive: true });
    go = path.join(tmp, 'go');
    fs.writeFileSync(
      go,
      `#!/bin/sh
echo "$*" >> ${calls}
if [ "$1" = env ]; then echo ${modCache}; exit 0; fi
shift 2
for pkg in "$@"; do
  for i in 1 2 3; do echo "example.com/compiled/$i" >&2; sleep 0.1; done
  name=$(echo "$pkg" | sed 's/@.*//; s#.*/##')
  printf '#!/bin/sh\\n' > "$GOBIN/$name"; chmod +x "$GOBIN/$name"
done
`,
      { mode: 0o755 },
    );
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('builds the missing server, sql tool and UI server into the cache, telling its progress', async () => {
    const cacheDir = path.join(tmp, 'cache');
    const lines: string[] = [];
    const built = await ensureTemporalServerBinaries({ cacheDir, go, log: (l) => lines.push(l), progressEveryMs: 50 });
    expect(built).toEqual({
      server: path.join(cacheDir, 'server'),
      sqlTool: path.join(cacheDir, 'sql'),
      uiServer: path.join(cacheDir, 'temporal-ui-server'),
      schemaDir: postgresSchemaDir(modCache),
    });
    // The UI server's program is also named `server`: it must not replace the Temporal server's.
    expect(fs.readdirSync(cacheDir).sort()).toEqual(['server', 'sql', 'temporal-ui-server']);
    expect(fs.readFileSync(calls, 'utf8').trim().split('\n')).toEqual([
      `install -v go.temporal.io/server/cmd/server@v${TEMPORAL_SERVER_VERSION} go.temporal.io/server/cmd/tools/sql@v${TEMPORAL_SERVER_VERSION}`,
      `install -v github.com/temporalio/ui-server/v2/cmd/server@v${TEMPORAL_UI_SERVER_VERSION}`,
      'env GOMODCACHE',
    ]);
    expect(lines.some((l) => /^ {2}still building: \d+ packages compiled in \d+s/.test(l))).toBe(true);
    expect(lines.some((l) => /^ {2}built 2 program\(s\), 6 packages, in \d+s$/.test(l))).toBe(true);
    expect(lines.some((l) => /^ {2}built 1 program\(s\), 3 packages, in \d+s$/.test(l))).toBe(true);
  });

  it('builds nothing when the cache has all three, and says what to install without Go', async () => {
    const cacheDir = path.join(tmp, 'cache');
    fs.mkdirSync(cacheDir);
    for (const name of ['server', 'sql', 'temporal-ui-server'])
      fs.writeFileSync(path.join(cacheDir, name), '#!/bin/sh\n', { mode: 0o755 });
    await ensureTemporalServerBinaries({ cacheDir, go });
    expect(fs.readFileSync(calls, 'utf8').trim().split('\n')).toEqual(['env GOMODCACHE']);

    fs.rmSync(path.join(cacheDir, 'sql'));
    await expect(ensureTemporalServerBinaries({ cacheDir, go: null })).rejects.toThrow(
      /production mode needs the Temporal server 1\.29\.1 and its sql tool, and there is no Go toolchain/,
    );
  });
});
