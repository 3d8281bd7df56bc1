import { loadConfig } from '../../src/config/config';
import { stackUp } from '../../src/stack/stack';
import { temporalDevServer, type StackContext } from '../../src/stack/stack-processes';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { freePort, tempDir } from '../support/mail';

// temporal.server: postgres (production mode) is scaffolding so far: stack up
// never starts the dev server for it, and says so when nothing answers.
describe('temporal.server: postgres', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database?.destroy();
  });

  it('is read from TEMPORAL_SERVER, dev by default, and nothing else is accepted', () => {
    expect(loadConfig({}).temporal.server).toBe('dev');
    expect(loadConfig({ TEMPORAL_SERVER: 'postgres' }).temporal.server).toBe('postgres');
    expect(() => loadConfig({ TEMPORAL_SERVER: 'sqlite' })).toThrow(/temporal\.server/);
  });

  it('never starts the dev server, and stack up fails clearly while no server answers', async () => {
    const config = loadConfig({
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
      TEMPORAL_SERVER: 'postgres',
      ALGO_DATA_DIR: tempDir('algo-production-mode-'),
    });
    expect(temporalDevServer.enabled?.({ config } as StackContext)).toBe(false);
    expect(
      temporalDevServer.enabled?.({
        config: { ...config, temporal: { ...config.temporal, server: 'dev' } },
      } as StackContext),
    ).toBe(true);
    await expect(stackUp(config, { processes: [temporalDevServer] })).rejects.toThrow(
      /temporal\.server is postgres \(production mode\), and no Temporal server answers at 127\.0\.0\.1:\d+/,
    );
  });
});
