// The page's end of the bridge over WebSocket: a HELLO naming the target first, then every host
// message decoded (and checked) before it is handed on.
import { BRIDGE_VERSION, type HostMessage, type UiMessage } from '../protocol/bridge/bridge-messages.ts';
import { decodeHostMessage } from '../protocol/bridge/host-codec.ts';
import { encodeUiMessage } from '../protocol/bridge/ui-codec.ts';

export interface BridgeHandlers {
  message(m: HostMessage): void;
  /** The socket closed; `reason` is the gateway's close reason, if any. */
  closed(reason: string): void;
}

/** ws:// (or wss://) URL of the socket beside the page: the page's own path, token included. */
export function bridgeUrl(location: Location): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${location.pathname.replace(/[^/]*$/, '')}ws`;
}

export class BridgeSocket {
  private readonly ws: WebSocket;
  private helloSeen = false;

  constructor(url: string, target: number, handlers: BridgeHandlers) {
    this.ws = new WebSocket(url);
    this.ws.binaryType = 'arraybuffer';
    this.ws.onopen = () => this.send({ kind: 'hello', version: BRIDGE_VERSION, target });
    this.ws.onmessage = (e: MessageEvent<ArrayBuffer | string>) => {
      if (typeof e.data === 'string') return this.fail('the gateway sent text; the bridge is binary');
      let m: HostMessage;
      try {
        m = decodeHostMessage(new Uint8Array(e.data));
      } catch (error) {
        return this.fail(error instanceof Error ? error.message : String(error));
      }
      if (m.kind === 'hello') {
        if (m.version !== BRIDGE_VERSION) return this.fail(`the gateway speaks bridge version ${m.version}, this page ${BRIDGE_VERSION}; reload the page`);
        this.helloSeen = true;
        return;
      }
      if (!this.helloSeen) return this.fail('the gateway did not start with HELLO');
      handlers.message(m);
    };
    this.ws.onclose = (e) => handlers.closed(e.reason);
  }

  send(m: UiMessage): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(encodeUiMessage(m));
  }

  private fail(reason: string): void {
    this.ws.close(1002, reason.slice(0, 100));
  }
}
