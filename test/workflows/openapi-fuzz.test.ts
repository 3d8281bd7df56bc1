import { startFullApi, type FullApi } from '../support/full-api';

// @fastify/static (under swagger-ui) requires the ESM-only content-disposition, which jest cannot load (see api.test.ts).
jest.mock('content-disposition', () => ({ create: (name: string) => `attachment; filename="${name}"` }));

const API_KEY = 'fuzz-admin-key-0123456789abcdef0123456789';
/** No answer may take longer, whatever the request. */
const SLOWEST_MS = 2_000;

interface Schema {
  type?: string | string[];
  enum?: unknown[];
  format?: string;
  items?: Schema;
  properties?: Record<string, Schema>;
  anyOf?: Schema[];
  oneOf?: Schema[];
  minimum?: number;
}
interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Schema;
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
}
type OpenApiDocument = { paths: Record<string, Record<string, Operation>> };

/** Values of every wrong kind: types, huge and tiny numbers, long strings, control characters. */
const HOSTILE_VALUES: readonly unknown[] = [
  null,
  true,
  0,
  -1,
  1e308,
  -1e308,
  5e-324,
  2 ** 53 + 1,
  '',
  ' ',
  'x'.repeat(10_000),
  '\u0000\u0007\u001b[31m\r\n',
  '../../etc/passwd',
  '1e999',
  'NaN',
  '2024-02-30',
  '🙂'.repeat(500),
  [],
  [1, 'a', null],
  {},
  { nested: { deeper: [{}] } },
];

/** The same, as text for a path or query string. */
const HOSTILE_TEXTS: readonly string[] = [
  '',
  '-1',
  '0',
  '1e308',
  '5e-324',
  '99999999999999999999999',
  'NaN',
  'null',
  'x'.repeat(4_000),
  '\u0000',
  '\u0007\u001b\r\n',
  '%',
  '%FF',
  '..%2F..%2Fetc',
  '🙂',
  '<script>alert(1)</script>',
  "' or 1=1 --",
];

/** One request the fuzz sends; `label` names it in a failure. */
interface FuzzRequest {
  label: string;
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string;
}

const fill = (path: string, value: string) => path.replace(/\{[^}]+\}/g, encodeURIComponent(value));
const sampleValue = (name: string) =>
  /ticker/i.test(name)
    ? 'AAPL'
    : /date|from|^to$/i.test(name)
      ? '2024-01-05'
      : /email/i.test(name)
        ? 'a@example.com'
        : 'x';
const samplePath = (path: string) => path.replace(/\{([^}]+)\}/g, (_, name: string) => sampleValue(name));

/** A plausible value of a schema, so that one hostile field reaches the handler past the others' checks. */
function sampleOf(schema: Schema | undefined, name: string): unknown {
  if (!schema) return sampleValue(name);
  if (schema.enum?.length) return schema.enum[0];
  const alternative = schema.anyOf?.[0] ?? schema.oneOf?.[0];
  if (alternative) return sampleOf(alternative, name);
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  if (type === 'integer' || type === 'number') return Math.max(schema.minimum ?? 1, 1);
  if (type === 'boolean') return false;
  if (type === 'array') return [sampleOf(schema.items, name)];
  if (type === 'object' || schema.properties)
    return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, v]) => [k, sampleOf(v, k)]));
  return schema.format === 'email' ? 'a@example.com' : sampleValue(name);
}

/** Malformed requests of one operation: its path and query parameters, then its body, each in every wrong way. */
function requestsOf(path: string, method: string, operation: Operation): FuzzRequest[] {
  const upper = method.toUpperCase();
  const requests: FuzzRequest[] = [];
  const parameters = operation.parameters ?? [];
  if (parameters.some((p) => p.in === 'path'))
    for (const value of HOSTILE_TEXTS)
      requests.push({ label: `path=${JSON.stringify(value.slice(0, 20))}`, method: upper, url: fill(path, value) });
  const queryParameters = parameters.filter((p) => p.in === 'query');
  // Every query parameter sampled; then each in turn made hostile.
  const query = (name: string, value: string) =>
    new URLSearchParams([
      ...queryParameters
        .filter((p) => p.name !== name)
        .map((p): [string, string] => [p.name, String(sampleOf(p.schema, p.name))]),
      [name, value],
    ]).toString();
  for (const parameter of queryParameters) {
    for (const value of HOSTILE_TEXTS)
      requests.push({
        label: `query ${parameter.name}=${JSON.stringify(value.slice(0, 20))}`,
        method: upper,
        url: `${samplePath(path)}?${query(parameter.name, value)}`,
      });
    requests.push({
      label: `query ${parameter.name} twice`,
      method: upper,
      url: `${samplePath(path)}?${parameter.name}=a&${parameter.name}=b`,
    });
  }
  if (upper === 'GET' || upper === 'HEAD') return requests;
  const url = samplePath(path);
  const json = { 'content-type': 'application/json' };
  const bodies: Array<[string, string, Record<string, string>]> = [
    ['bad JSON', '{"a":', json],
    ['JSON null', 'null', json],
    ['JSON array', '[1,2]', json],
    ['JSON string', '"text"', json],
    ['JSON number', '1e308', json],
    ['deep JSON', `${'['.repeat(5_000)}${']'.repeat(5_000)}`, json],
    ['text/plain', 'hello', { 'content-type': 'text/plain' }],
    ['XML', '<a>1</a>', { 'content-type': 'application/xml' }],
    ['form garbage', '%%%&&&===', { 'content-type': 'application/x-www-form-urlencoded' }],
    ['multipart', '--b\r\n\r\nx\r\n--b--', { 'content-type': 'multipart/form-data; boundary=b' }],
    ['no content type', '{"a":1}', {}],
    ['charset junk', '{"a":1}', { 'content-type': 'application/json; charset=klingon' }],
  ];
  for (const [label, body, headers] of bodies)
    requests.push({ label: `body ${label}`, method: upper, url, headers, body });
  const bodySchema = operation.requestBody?.content?.['application/json']?.schema;
  const base = sampleOf(bodySchema, 'body');
  for (const property of Object.keys(bodySchema?.properties ?? {}))
    for (const value of HOSTILE_VALUES)
      requests.push({
        label: `body ${property}=${JSON.stringify(value)?.slice(0, 30)}`,
        method: upper,
        url,
        headers: json,
        body: JSON.stringify({ ...(base as object), [property]: value }),
      });
  return requests;
}

/** Issue 18 point 9: every operation of the OpenAPI document, sent malformed requests, answers below 500 and within 2 s. */
describe('malformed requests to every OpenAPI operation (real Postgres, Redis, Temporal, SMTP)', () => {
  let api: FullApi;

  beforeAll(async () => {
    api = await startFullApi({
      apiKey: API_KEY,
      // The fuzz must reach the handlers, not the limiter (whose 429 is tested on its own).
      configure: (config) => {
        config.api.rateLimit = {
          ...config.api.rateLimit,
          perClient: { max: 1_000_000, windowSeconds: 60 },
          perAddress: { max: 1_000_000, windowSeconds: 60 },
        };
      },
    });
  });
  afterAll(async () => {
    await api?.close();
  });

  it('never answers 5xx nor takes more than 2 s', async () => {
    const document = api.app.swagger() as unknown as OpenApiDocument;
    const requests: FuzzRequest[] = [];
    for (const [path, methods] of Object.entries(document.paths))
      for (const [method, operation] of Object.entries(methods))
        requests.push(
          ...requestsOf(path, method, operation).map((r) => ({
            ...r,
            label: `${method.toUpperCase()} ${path} ${r.label}`,
          })),
        );
    expect(Object.keys(document.paths).length).toBeGreaterThan(20);

    const failures: string[] = [];
    for (const request of requests) {
      for (const admin of [true, false]) {
        const started = performance.now();
        let status: number;
        try {
          const response = await fetch(`${api.baseUrl}${request.url}`, {
            method: request.method,
            headers: { ...(admin ? { 'x-api-key': API_KEY } : {}), ...request.headers },
            body: request.body,
            signal: AbortSignal.timeout(10_000),
          });
          await response.arrayBuffer();
          status = response.status;
        } catch (err) {
          failures.push(`${request.label}: no answer (${(err as Error).message})`);
          continue;
        }
        const ms = Math.round(performance.now() - started);
        if (status >= 500) failures.push(`${request.label}${admin ? '' : ' (no key)'}: ${status}`);
        if (ms > SLOWEST_MS) failures.push(`${request.label}${admin ? '' : ' (no key)'}: ${ms} ms`);
      }
    }
    expect(failures).toEqual([]);
    expect(requests.length).toBeGreaterThan(500);
  }, 900_000);
});
