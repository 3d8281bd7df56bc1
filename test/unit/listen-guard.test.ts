import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { loadConfig } from '../../src/config/config';
import { isLoopbackHost, shippedSecrets, unsafeListenReason } from '../../src/api/listen-guard';

describe('the API refuses a reachable address with the shipped secrets', () => {
  const shipped = shippedSecrets();
  const own = { apiKey: 'my-own-admin-key-0123456789abcdef', tokenSecrets: ['my-own-token-secret-0123456789abcdef'] };

  it('reads the shipped defaults from config/default.yaml', () => {
    const config = loadConfig({});
    expect(shipped).toEqual({ apiKey: config.api.apiKey, tokenSecrets: config.api.tokenSecrets });
  });

  it('tells loopback from reachable hosts', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) expect(isLoopbackHost(h)).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.168.1.10', 'signals.example.com', '10.0.0.1'])
      expect(isLoopbackHost(h)).toBe(false);
  });

  it('refuses either default on a non-loopback host and allows own secrets or loopback', () => {
    expect(unsafeListenReason({ host: '127.0.0.1', ...shipped } as never)).toBeNull();
    expect(unsafeListenReason({ host: '0.0.0.0', ...own })).toBeNull();
    expect(unsafeListenReason({ host: '0.0.0.0', ...shipped } as never)).toMatch(/api\.apiKey.*api\.tokenSecrets\[0\]/);
    expect(unsafeListenReason({ host: '0.0.0.0', ...own, apiKey: shipped.apiKey! })).toMatch(
      /api\.apiKey \(API_KEY\) still/,
    );
    expect(unsafeListenReason({ host: '192.168.1.10', ...own, tokenSecrets: shipped.tokenSecrets })).toMatch(
      /api\.tokenSecrets\[0\] \(TOKEN_SECRETS\) still/,
    );
    // Anywhere in the list: a rotation that kept the shipped secret as the old one is refused too.
    const rotated = [own.tokenSecrets[0], shipped.tokenSecrets[0]];
    expect(unsafeListenReason({ host: '0.0.0.0', ...own, tokenSecrets: rotated })).toMatch(
      /api\.tokenSecrets\[1\] \(TOKEN_SECRETS\) still the shipped default/,
    );
  });

  it('refuses an admin key shorter than 32 characters on a non-loopback host, not on loopback', () => {
    const short = { ...own, apiKey: 'x'.repeat(31) };
    expect(unsafeListenReason({ host: '0.0.0.0', ...short })).toMatch(/api\.apiKey \(API_KEY\) is shorter than 32/);
    expect(unsafeListenReason({ host: '0.0.0.0', ...own, apiKey: 'x'.repeat(32) })).toBeNull();
    expect(unsafeListenReason({ host: '127.0.0.1', ...short })).toBeNull();
  });

  it('refuses a token secret shorter than 32 characters anywhere in the list on a non-loopback host', () => {
    const tokenSecrets = [own.tokenSecrets[0], 'y'.repeat(31)];
    expect(unsafeListenReason({ host: '0.0.0.0', ...own, tokenSecrets })).toMatch(
      /api\.tokenSecrets\[1\] \(TOKEN_SECRETS\) is shorter than 32/,
    );
    expect(unsafeListenReason({ host: '127.0.0.1', ...own, tokenSecrets })).toBeNull();
    expect(
      unsafeListenReason({ host: '0.0.0.0', ...own, tokenSecrets: [own.tokenSecrets[0], 'y'.repeat(32)] }),
    ).toBeNull();
  });

  it('src/api/main.ts exits 1 before connecting anything', () => {
    const root = path.resolve(__dirname, '../..');
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/api/main.ts'], {
      cwd: root,
      env: { ...process.env, API_HOST: '0.0.0.0', API_PORT: '1', API_KEY: '', TOKEN_SECRET: '', TOKEN_SECRETS: '' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(
      /refusing to listen on 0\.0\.0\.0: api\.apiKey \(API_KEY\) and api\.tokenSecrets\[0\] \(TOKEN_SECRETS\) still the shipped default/,
    );
  });
});
