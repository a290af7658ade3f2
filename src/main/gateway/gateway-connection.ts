// A page of the web gateway: the bridge (host/bridge-host.ts) carried by the WebSocket the
// gateway server accepted. Everything the page can do is the BridgeHost's; this is only the
// transport.
import type { WebSocket, RawData } from 'ws';
import { BridgeHost, type BridgeEndpoint, type ConnectionOptions } from '../host/bridge-host.ts';

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
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason);
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

