// A page of the web gateway: the bridge (host/bridge-host.ts) carried by the WebSocket the
// gateway server accepted. Everything the page can do is the BridgeHost's; this is only the
// transport.
import type { Duplex } from 'node:stream';
import type { WebSocket, RawData } from 'ws';
import { BridgeHost, type BridgeEndpoint, type ConnectionOptions } from '../host/bridge-host.ts';

/**
 * How long a closed page has to read what is still queued for it (its last STATUS among it) and
 * answer the close. `ws` itself waits 30 s, holding the backlog of a page that stopped reading.
 */
export const CLOSE_GRACE_MS = 5000;

/**
 * The header of an unmasked binary WebSocket frame (RFC 6455, 5.2) with FIN set, for a payload of
 * `size` bytes: 2, 4 or 10 bytes long.
 */
export function binaryFrameHeaderSize(size: number): number {
  return size < 126 ? 2 : size < 65536 ? 4 : 10;
}

function writeBinaryFrameHeader(frame: Buffer, size: number): void {
  frame[0] = 0x82;
  if (size < 126) frame[1] = size;
  else if (size < 65536) {
    frame[1] = 126;
    frame.writeUInt16BE(size, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(size / 2 ** 32), 2);
    frame.writeUInt32BE(size >>> 0, 6);
  }
}

/**
 * The gateway's transport: a `ws` WebSocket accepted by the gateway server. With the upgraded
 * `socket` under it, the host's packets are framed here and written to the socket in one write:
 * `ws.send` costs a frame header of its own, a corked pair of writes and Node's writev path per
 * packet, all JavaScript that V8 has not optimised yet at 25 packets a second (a video stream;
 * bench/README.md, video). `ws` itself writes whole frames synchronously (no compression, no
 * queue), so its frames (pings, the close) and these never interleave.
 */
export function webSocketEndpoint(ws: WebSocket, socket?: Duplex): BridgeEndpoint {
  return {
    get open() {
      return ws.readyState === ws.OPEN;
    },
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    send: (bytes) => ws.send(bytes, { binary: true }),
    ...(socket && {
      sendFilled: (size: number, fill: (out: Uint8Array) => void) => {
        if (ws.readyState !== ws.OPEN || socket.destroyed) return;
        const header = binaryFrameHeaderSize(size);
        const frame = Buffer.allocUnsafeSlow(header + size);
        writeBinaryFrameHeader(frame, size);
        fill(frame.subarray(header));
        socket.write(frame);
      },
    }),
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
  /** `socket`: the upgraded connection under `ws`, for writing the host's packets as frames (webSocketEndpoint). */
  constructor(ws: WebSocket, o: ConnectionOptions, id: number, socket?: Duplex) {
    super(webSocketEndpoint(ws, socket), o, id);
  }
}

