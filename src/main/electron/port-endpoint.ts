// The Electron window's transport: the main process's end of a MessageChannelMain whose other end
// the preload handed to the page. Typed by the few members it uses, so that a test can drive it
// with a node:worker_threads port shaped the same way.
import type { BridgeEndpoint } from '../host/bridge-host.ts';

/** What of Electron's MessagePortMain this uses. */
export interface MainPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (messageEvent: { data: unknown }) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  start(): void;
  close(): void;
}

/**
 * The bytes of a message from the page: an ArrayBuffer or a view of one (a Uint8Array sent from
 * the page arrives as one), else null. Anything else a compromised page might post (strings,
 * objects, ports) is refused by the host as not binary.
 */
export function bytesOf(data: unknown): Uint8Array | null {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data) && data.buffer instanceof ArrayBuffer) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return null;
}

export function portEndpoint(port: MainPort): BridgeEndpoint {
  let open = true;
  const closeListeners: ((error?: string) => void)[] = [];
  const closed = (): void => {
    if (!open) return;
    open = false;
    for (const l of closeListeners.splice(0)) l();
  };
  port.on('close', closed);
  return {
    get open() {
      return open;
    },
    // A port does not say how much the page has yet to read. The renderer takes messages off the
    // port as they come (decoding is in its worker), so a backlog would show as the page's own
    // memory, not here.
    bufferedAmount: 0,
    send: (bytes) => {
      if (!open) return;
      // A cloned view carries its whole buffer: send a view of exactly its own bytes.
      port.postMessage(bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice());
    },
    close: () => {
      if (!open) return;
      port.close();
      closed();
    },
    onMessage: (listener) => {
      port.on('message', (e) => {
        if (open) listener(bytesOf(e.data));
      });
      // Messages queue in the port until it is started: listeners first.
      port.start();
    },
    onClose: (listener) => {
      if (open) closeListeners.push(listener);
      else listener();
    },
  };
}
