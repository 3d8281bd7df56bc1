import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One answer of a {@link ReplayServer}. */
export interface ReplayAnswer {
  status?: number;
  body: string;
  contentType?: string;
}

/** A local HTTP server answering recorded bodies, and remembering what it was asked. */
export interface ReplayServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  requests: URL[];
  close(): Promise<void>;
}

/** Start a server on a free local port; `route` picks the answer for each request (null: 404). */
export async function startReplayServer(route: (url: URL) => ReplayAnswer | null): Promise<ReplayServer> {
  const requests: URL[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push(url);
    const answer = route(url) ?? { status: 404, body: 'not found', contentType: 'text/plain' };
    res.writeHead(answer.status ?? 200, { 'content-type': answer.contentType ?? 'application/json' });
    res.end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
