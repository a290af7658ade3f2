// A page of the web gateway: the bridge (host/bridge-host.ts) carried by the WebSocket the
// gateway server accepted. Everything the page can do is the BridgeHost's; this is only the
// transport.
import type { WebSocket, RawData } from 'ws';
import { BridgeHost, type BridgeEndpoint, type ConnectionOptions } from '../host/bridge-host.ts';

/**
 * How long a closed page has to read what is still queued for it (its last STATUS among it) and
 * answer the close. `ws` itself waits 30 s, holding the backlog of a page that stopped reading.
 */
export const CLOSE_GRACE_MS = 5000;

/** The gateway's transport: a `ws` WebSocket accepted by the gateway server. */
export function webSocketEndpoint(ws: WebSocket): BridgeEndpoint {
  return {
    get open() {
      return ws.readyState === ws.OPEN;
    },
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    send: (bytes) => ws.send(bytes, { binary: true }),
    close: (code, reason) => {
      if (ws.readyState !== ws.OPEN && ws.readyState !== ws.CONNECTING) return;
      ws.close(code, reason);
      const timer = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
      timer.unref();
      ws.once('close', () => clearTimeout(timer));
    },
    onMessage: (listener) =>
      ws.on('message', (data: RawData, isBinary: boolean) =>
        listener(isBinary && data instanceof Buffer ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : null),
      ),
    onClose: (listener) => {
      let done = false;
      const once = (error?: string): void => {
        if (done) return;
        done = true;
        listener(error);
      };
      ws.on('close', () => once());
      ws.on('error', (error: Error) => once(error.message));
    },
  };
}

/** A page of the web gateway: the bridge over the WebSocket the gateway server accepted. */
export class GatewayConnection extends BridgeHost {
  constructor(ws: WebSocket, o: ConnectionOptions, id: number) {
    super(webSocketEndpoint(ws), o, id);
  }
}

