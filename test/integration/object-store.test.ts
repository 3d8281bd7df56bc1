import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { BadInputError } from '../../src/domain/errors';
import { backtestReportKeys } from '../../src/domain/object-store';
import { FilesystemObjectStore } from '../../src/adapters/object-store/filesystem-object.store';
import { createObjectStore } from '../../src/adapters/object-store/object-store.factory';
import { S3ObjectStore } from '../../src/adapters/object-store/s3-object.store';
import { loadConfig } from '../../src/config/config';

/** s3rver ships no types: the part of its API the tests use. */
interface S3rverServer {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver') as new (options: Record<string, unknown>) => S3rverServer;

const BAD_KEYS = ['', '../x.html', '/etc/passwd', 'a//b', 'a/../b', '.hidden', 'a/b c', 'a\\b'];

describe('FilesystemObjectStore', () => {
  let root: string;
  let store: FilesystemObjectStore;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'algo-reports-'));
    store = new FilesystemObjectStore(root);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('stores under the root, returns the bytes with a content type by extension, and null for a missing key', async () => {
    const keys = backtestReportKeys('backtest-AAPL-sma_cross-1a2b3c4d');
    await store.put(keys.html, '<!DOCTYPE html><p>é</p>', 'text/html; charset=utf-8');
    await store.put(keys.svg, Buffer.from('<svg/>'), 'image/svg+xml');
    expect(store.url(keys.html)).toBe(path.join(root, 'backtests', 'backtest-AAPL-sma_cross-1a2b3c4d', 'report.html'));
    expect(fs.readFileSync(store.url(keys.html), 'utf8')).toBe('<!DOCTYPE html><p>é</p>');
    const html = await store.get(keys.html);
    expect(html?.body.toString('utf8')).toBe('<!DOCTYPE html><p>é</p>');
    expect(html?.contentType).toBe('text/html; charset=utf-8');
    expect((await store.get(keys.svg))?.contentType).toBe('image/svg+xml');
    expect(await store.get('backtests/none/report.html')).toBeNull();
    // No partial files are left behind.
    expect(fs.readdirSync(path.dirname(store.url(keys.html))).sort()).toEqual(['equity.svg', 'report.html']);
  });

  it('deletes an object and its emptied directory; deleting again, or under a file, does nothing', async () => {
    const keys = backtestReportKeys('backtest-AAPL-sma_cross-0ddba11');
    await store.put(keys.html, '<p>x</p>', 'text/html');
    await store.put(keys.svg, '<svg/>', 'image/svg+xml');
    await store.delete(keys.html);
    expect(await store.get(keys.html)).toBeNull();
    // The directory still holds the chart: it stays.
    expect(fs.readdirSync(path.dirname(store.url(keys.svg)))).toEqual(['equity.svg']);
    await store.delete(keys.svg);
    expect(fs.existsSync(path.dirname(store.url(keys.svg)))).toBe(false);
    expect(fs.readdirSync(path.join(root, 'backtests'))).toEqual([]);
    await store.delete(keys.svg);
    fs.writeFileSync(path.join(root, 'file'), 'x');
    await store.delete('file/report.html');
    await expect(store.delete('../x.html')).rejects.toThrow(BadInputError);
  });

  it('replaces an object on a second put', async () => {
    await store.put('a/b.html', 'first', 'text/html');
    await store.put('a/b.html', 'second', 'text/html');
    expect((await store.get('a/b.html'))?.body.toString()).toBe('second');
  });

  it.each(BAD_KEYS)('rejects the key %j (nothing escapes the root)', async (key) => {
    await expect(store.put(key, 'x', 'text/plain')).rejects.toThrow(BadInputError);
    await expect(store.get(key)).rejects.toThrow(BadInputError);
    expect(() => store.url(key)).toThrow(BadInputError);
  });
});

describe('createObjectStore', () => {
  it('defaults to the filesystem under <dataDir>/reports', () => {
    const config = loadConfig({
      ...process.env,
      ALGO_DATA_DIR: '/tmp/algo-data-x',
      REPORTS_STORE: '',
      REPORTS_DIR: '',
    });
    const store = createObjectStore(config);
    expect(store.kind).toBe('filesystem');
    expect(store.url('backtests/x/report.html')).toBe('/tmp/algo-data-x/reports/backtests/x/report.html');
  });

  it('builds an S3 store when configured (MinIO-style endpoint, path-style URLs)', () => {
    const config = loadConfig({
      ...process.env,
      REPORTS_STORE: 's3',
      S3_ENDPOINT: 'http://127.0.0.1:9000',
      S3_BUCKET: 'algo-reports',
      S3_ACCESS_KEY_ID: 'minio',
      S3_SECRET_ACCESS_KEY: 'minio-secret',
    });
    const store = createObjectStore(config);
    expect(store.kind).toBe('s3');
    expect(store.url('backtests/x/report.html')).toBe('http://127.0.0.1:9000/algo-reports/backtests/x/report.html');
    store.close?.();
  });
});

describe('S3ObjectStore against a local S3-compatible server (s3rver)', () => {
  let server: S3rverServer;
  let dir: string;
  let endpoint: string;
  const stores: S3ObjectStore[] = [];
  const s3 = (overrides: Partial<ConstructorParameters<typeof S3ObjectStore>[0]> = {}) => {
    const store = new S3ObjectStore({
      bucket: 'algo-reports',
      region: 'us-east-1',
      endpoint,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      forcePathStyle: true,
      ...overrides,
    });
    stores.push(store);
    return store;
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'algo-s3rver-'));
    // No bucket configured: the store must create its own, as with a fresh MinIO.
    server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir });
    const address = await server.run();
    endpoint = `http://127.0.0.1:${address.port}`;
  });
  afterAll(async () => {
    for (const store of stores) store.close();
    await server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates the bucket, stores and reads back a report with its content type; a missing key is null', async () => {
    const store = s3();
    const keys = backtestReportKeys('backtest-AAPL-sma_cross-0000beef');
    const html = '<!DOCTYPE html><html><body>Rendite: +12,5 % — ünïcode</body></html>';
    await store.put(keys.html, html, 'text/html; charset=utf-8');
    await store.put(keys.svg, new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"/>'), 'image/svg+xml');
    const got = await store.get(keys.html);
    expect(got?.body.toString('utf8')).toBe(html);
    expect(got?.contentType).toBe('text/html; charset=utf-8');
    expect((await store.get(keys.svg))?.body.toString()).toBe('<svg xmlns="http://www.w3.org/2000/svg"/>');
    expect(await store.get('backtests/missing/report.html')).toBeNull();
    expect(store.url(keys.html)).toBe(`${endpoint}/algo-reports/${keys.html}`);
    // A second store (another worker) finds the bucket there and overwrites the object.
    await s3().put(keys.html, 'v2', 'text/html');
    expect((await store.get(keys.html))?.body.toString()).toBe('v2');
  });

  it('deletes an object; deleting a missing one does nothing', async () => {
    const store = s3();
    const keys = backtestReportKeys('backtest-AAPL-sma_cross-0ddba11');
    await store.put(keys.html, '<p>x</p>', 'text/html');
    await store.put(keys.svg, '<svg/>', 'image/svg+xml');
    await store.delete(keys.html);
    expect(await store.get(keys.html)).toBeNull();
    expect((await store.get(keys.svg))?.body.toString()).toBe('<svg/>');
    await store.delete(keys.html);
    await expect(store.delete('../x.html')).rejects.toThrow(BadInputError);
  });

  it('sends SigV4-signed, path-style requests without the CRC32 trailers older S3-compatible servers refuse', async () => {
    const store = s3();
    const sent: Array<{ method: string; path: string; headers: Record<string, string> }> = [];
    // The deserialize step runs after signing: it sees the request exactly as it goes on the wire.
    store.client.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { method: string; path: string; headers: Record<string, string> };
        sent.push({ method: request.method, path: request.path, headers: { ...request.headers } });
        return next(args);
      },
      { step: 'deserialize', name: 'captureRequest' },
    );
    await store.put('backtests/signed/report.html', '<p>x</p>', 'text/html; charset=utf-8');
    const put = sent.find((r) => r.method === 'PUT' && r.path.endsWith('/report.html'))!;
    expect(put.path).toBe('/algo-reports/backtests/signed/report.html');
    expect(put.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=S3RVER\/\d{8}\/us-east-1\/s3\/aws4_request, SignedHeaders=[^,]*host[^,]*, Signature=[0-9a-f]{64}$/,
    );
    expect(put.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(Object.keys(put.headers).filter((h) => h.startsWith('x-amz-checksum') || h === 'x-amz-trailer')).toEqual([]);
    expect((await store.get('backtests/signed/report.html'))?.body.toString()).toBe('<p>x</p>');
  });

  it('links reports under a configured public URL, keys URL-encoded', () => {
    expect(s3({ publicUrl: 'https://reports.example.com/base/' }).url('backtests/a.b/report.html')).toBe(
      'https://reports.example.com/base/backtests/a.b/report.html',
    );
    expect(s3({ endpoint: undefined, forcePathStyle: false }).url('backtests/x/report.html')).toBe(
      'https://algo-reports.s3.us-east-1.amazonaws.com/backtests/x/report.html',
    );
  });
});
