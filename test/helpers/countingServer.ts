import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A plain HTTP server on loopback that counts its hits: an endpoint a sandbox must not reach. */
export async function countingServer(name: string): Promise<{ server: Server; port: number; hits: () => number }> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`${name} ${req.url}`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, hits: () => hits };
}
