// A TCP front for the shared folder's WebDAV server, used ONLY by tests that drive the server with
// a TCP client (litmus). spicedesk's server itself never listens: this shim accepts on 127.0.0.1 and
// hands each socket's bytes to WebdavServer.connect, as the webdav mux does for a guest connection.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { WebdavServer } from '../../src/protocol/channels/port/port-handler.ts';

export interface WebdavTcpShim {
  port: number;
  close(): Promise<void>;
}

export async function listenWebdavShim(server: WebdavServer): Promise<WebdavTcpShim> {
  const sockets = new Set<Socket>();
  const tcp: Server = createServer((socket) => {
    sockets.add(socket);
    const conn = server.connect(
      (bytes) => void socket.write(bytes),
      () => socket.end(),
    );
    socket.on('data', (b) => conn.write(b));
    socket.on('end', () => conn.end());
    socket.on('error', () => conn.end());
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  return {
    port: (tcp.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        tcp.close(() => resolve());
      }),
  };
}
