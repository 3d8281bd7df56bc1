import type { FastifyInstance } from 'fastify';

/**
 * The API's request metrics in the Prometheus text format (0.0.4), served at
 * GET /metrics. prom-client is not a dependency here; two series need no
 * library: requests and their total seconds, by method, route template and
 * status. Route templates (`/tickers/:ticker`), never raw URLs, keep the label
 * set bounded and the link tokens out; requests that match no route count
 * under `unmatched`.
 */
export class HttpRequestMetrics {
  private readonly series = new Map<string, { labels: string; count: number; seconds: number }>();

  /** Count one answered request. */
  observe(method: string, route: string, status: number, seconds: number): void {
    const labels = `method="${escapeLabel(method)}",route="${escapeLabel(route)}",status="${status}"`;
    const entry = this.series.get(labels) ?? { labels, count: 0, seconds: 0 };
    entry.count += 1;
    entry.seconds += seconds;
    this.series.set(labels, entry);
  }

  /** The exposition text. */
  render(): string {
    const rows = [...this.series.values()].sort((a, b) => a.labels.localeCompare(b.labels));
    return [
      '# HELP algo_http_requests_total HTTP requests answered, by method, route and status.',
      '# TYPE algo_http_requests_total counter',
      ...rows.map((r) => `algo_http_requests_total{${r.labels}} ${r.count}`),
      '# HELP algo_http_request_duration_seconds_total Seconds spent answering them, by method, route and status.',
      '# TYPE algo_http_request_duration_seconds_total counter',
      ...rows.map((r) => `algo_http_request_duration_seconds_total{${r.labels}} ${r.seconds}`),
      '',
    ].join('\n');
  }
}

/** A label value as the text format wants it: backslash, double quote and newline escaped. */
function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Count every answer of `app` into `metrics` (one hook, after the answer is sent). */
export function countRequests(app: FastifyInstance, metrics: HttpRequestMetrics): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.observe(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
  });
}
