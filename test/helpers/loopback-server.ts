/**
 * A real HTTP server on 127.0.0.1 for tests (STYLE.md §12): it replays recorded payloads and
 * records every request so tests can assert paths, headers and bodies. No network beyond
 * loopback is ever touched.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/** One request as the server saw it. */
export interface RecordedRequest {
  method: string;
  /** Path plus query string, e.g. `/intensity/2024-01-12T06:01Z/fw48h`. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Answers one request; may never answer (to test timeouts). */
export type LoopbackHandler = (req: RecordedRequest, res: ServerResponse) => void | Promise<void>;

/** A running loopback server. */
export interface LoopbackServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  /** Stops listening and destroys open sockets, so a handler that never answers cannot block. */
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Starts a server on 127.0.0.1 with an ephemeral port and the given handler. */
export async function startLoopbackServer(handler: LoopbackHandler): Promise<LoopbackServer> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();

  const server = createServer((req, res) => {
    void (async () => {
      try {
        const body = await readBody(req);
        const recorded: RecordedRequest = {
          method: req.method ?? 'GET',
          url: req.url ?? '/',
          headers: { ...req.headers },
          body,
        };
        requests.push(recorded);
        await handler(recorded, res);
      } catch (error) {
        // A failing handler is a test bug; answer 599 so the test sees something odd rather than hang.
        if (!res.headersSent) {
          res.writeHead(599, { 'content-type': 'text/plain' });
        }
        res.end(`loopback handler failed: ${String(error)}`);
      }
    })();
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const socket of sockets) socket.destroy();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
