// The page's end of the bridge: a HELLO naming the target first, then every host message decoded
// (and checked) before it is handed on. It runs over a WebSocket in the web gateway, or over a
// MessagePort in the Electron window, whose preload hands the page the port.
import type { HostMessage, UiMessage } from '../protocol/bridge/bridge-messages.ts';
import type { VideoCodecSupport } from '../protocol/channels/display/display-sink.ts';
import type { AudioCapabilities } from '../protocol/audio/audio-format.ts';
import { BRIDGE_VERSION } from '../protocol/bridge/kinds.ts';
import { decodeHostPacket } from '../protocol/bridge/host-codec.ts';
import { BRIDGE_PORT_MESSAGE, PRELOAD_FUNCTIONS, PRELOAD_GLOBAL, type PreloadContract } from '../protocol/bridge/preload-contract.ts';
import { encodeUiMessage } from '../protocol/bridge/ui-codec.ts';
import { startMark } from './start-marks.ts';

export interface BridgeHandlers {
  message(m: HostMessage): void;
  /** The bridge closed; `reason` is the host's close reason, if any. */
  closed(reason: string): void;
}

/** One bridge message per transport message, both ways. */
export interface BridgeTransport {
  /** Where the host is, for messages: "the gateway", "spicedesk". */
  readonly peer: string;
  /** Calls `opened` once the transport can send (the socket opened, the port arrived). */
  start(events: { opened(): void; message(data: unknown): void; closed(reason: string): void }): void;
  send(bytes: Uint8Array): void;
  close(reason: string): void;
}

/** ws:// (or wss://) URL of the socket beside the page: the page's own path, token included. */
export function bridgeUrl(location: Location): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${location.pathname.replace(/[^/]*$/, '')}ws`;
}

export function webSocketTransport(url: string): BridgeTransport {
  let ws: WebSocket | null = null;
  return {
    peer: 'the gateway',
    start(events) {
      const socket = new WebSocket(url);
      ws = socket;
      socket.binaryType = 'arraybuffer';
      socket.onopen = () => events.opened();
      socket.onmessage = (e: MessageEvent<unknown>) => events.message(e.data);
      socket.onclose = (e) => events.closed(e.reason);
    },
    send(bytes) {
      if (ws?.readyState === WebSocket.OPEN) ws.send(bytes);
    },
    close(reason) {
      // A page may close with 1000 or 3000-4999 only (anything else throws): 4002 for a host that broke the protocol.
      ws?.close(reason === '' ? 1000 : 4002, reason.slice(0, 100));
    },
  };
}

/** What the Electron preload gives the page as window.spicedeskHost: the contract src/main/electron/preload.ts satisfies. */
export type ElectronHost = PreloadContract;

export { BRIDGE_PORT_MESSAGE };

/** The Electron preload's API when the page runs in the app; null in a browser. */
export function electronHost(w: Window = window): ElectronHost | null {
  const host = (w as unknown as Record<typeof PRELOAD_GLOBAL, Partial<ElectronHost> | undefined>)[PRELOAD_GLOBAL];
  if (typeof host !== 'object' || host === null || host.kind !== 'electron') return null;
  for (const f of PRELOAD_FUNCTIONS) {
    if (typeof host[f] !== 'function') return null;
  }
  return host as ElectronHost;
}

/**
 * Asks the Electron preload for a bridge and calls `take` with the port that comes back as a window
 * message from the page's own origin (one page, one bridge: later ports are not listened for).
 */
export function requestBridgePort(host: ElectronHost, take: (port: MessagePort) => void, w: Window = window): void {
  const onWindowMessage = (e: MessageEvent<unknown>): void => {
    if (e.origin !== w.location.origin || e.data !== BRIDGE_PORT_MESSAGE || e.ports.length !== 1) return;
    w.removeEventListener('message', onWindowMessage);
    take(e.ports[0]);
  };
  w.addEventListener('message', onWindowMessage);
  host.openBridge();
}

/** A bridge over a port already in hand: the Electron window's, on the page or handed to the decode worker. */
export function portTransport(p: MessagePort, peer = 'spicedesk'): BridgeTransport {
  let port: MessagePort | null = p;
  return {
    peer,
    start(events) {
      p.onmessage = (m: MessageEvent<unknown>) => events.message(m.data);
      p.onmessageerror = () => events.message(null);
      // Chromium tells a port that its peer is gone (main closed the bridge or exited).
      (p as EventTarget).addEventListener('close', () => events.closed(''));
      p.start();
      events.opened();
    },
    send(bytes) {
      port?.postMessage(bytes);
    },
    close() {
      port?.close();
      port = null;
    },
  };
}

/**
 * The Electron window's transport on the page's thread: asks the preload for a bridge and takes
 * the port that comes back as a window message from the page's own origin.
 */
export function messagePortTransport(host: ElectronHost, w: Window = window): BridgeTransport {
  let transport: BridgeTransport | null = null;
  return {
    peer: 'spicedesk',
    start(events) {
      requestBridgePort(
        host,
        (port) => {
          transport = portTransport(port);
          transport.start(events);
        },
        w,
      );
    },
    send(bytes) {
      transport?.send(bytes);
    },
    close(reason) {
      transport?.close(reason);
      transport = null;
    },
  };
}

/** The bytes of a transport message: an ArrayBuffer (WebSocket) or a Uint8Array (a port). */
function bytesOf(data: unknown): Uint8Array | null {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (data instanceof Uint8Array) return data;
  return null;
}

/** What the page holds of its bridge, wherever its transport runs (page.ts). */
export interface PageBridge {
  readonly peer: string;
  send(m: UiMessage): void;
  /** Ends the bridge from the page's side; `closed` is not called. */
  close(): void;
}

export class BridgeSocket implements PageBridge {
  private helloSeen = false;
  private closed = false;
  readonly peer: string;

  constructor(
    private readonly transport: BridgeTransport,
    target: number,
    private readonly handlers: BridgeHandlers,
    /** The first message, when not HELLO (a view of another guest head joins with HEAD_JOIN). */
    first?: UiMessage,
    /** The video codecs the page decodes, for its HELLO (which waits for them); none without. */
    videoCodecs?: () => Promise<readonly VideoCodecSupport[]>,
    /** What the page does with sound, for its HELLO (which waits for it); nothing without. */
    audio?: () => Promise<AudioCapabilities>,
  ) {
    this.peer = transport.peer;
    const hello = first ?? { kind: 'hello', version: BRIDGE_VERSION, target };
    transport.start({
      opened: () => {
        startMark('bridge-open');
        if (hello.kind !== 'hello' || (!videoCodecs && !audio)) return this.send(hello);
        void Promise.all([videoCodecs?.(), audio?.()]).then(([codecs, caps]) =>
          this.send({ ...hello, ...(codecs ? { videoCodecs: codecs } : {}), ...(caps ? { audio: caps } : {}) }),
        );
      },
      message: (data) => {
        if (this.closed) return;
        const bytes = bytesOf(data);
        if (!bytes) return this.fail(`${this.peer} sent a message that is not binary; the bridge is binary`);
        let messages: HostMessage[];
        try {
          // The host sends its messages in packets (host-codec.ts encodeHostPacket).
          messages = decodeHostPacket(bytes);
        } catch (error) {
          return this.fail(error instanceof Error ? error.message : String(error));
        }
        for (const m of messages) {
          if (this.closed) return;
          if (m.kind === 'hello') {
            if (m.version !== BRIDGE_VERSION) return this.fail(`${this.peer} speaks bridge version ${m.version}, this page ${BRIDGE_VERSION}; reload the page`);
            startMark('host-hello');
            this.helloSeen = true;
            continue;
          }
          if (!this.helloSeen) return this.fail(`${this.peer} did not start with HELLO`);
          handlers.message(m);
        }
      },
      closed: (reason) => this.onClosed(reason),
    });
  }

  private onClosed(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.handlers.closed(reason);
  }

  send(m: UiMessage): void {
    if (m.kind === 'hello') startMark('hello-sent');
    if (!this.closed) this.transport.send(encodeUiMessage(m));
  }

  /** Ends the bridge from the page's side (the kiosk reconnect screen starts a new one); `closed` is not called. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.transport.close('');
  }

  /** Drops a host that broke the protocol; a port does not report its own closing, so say it here. */
  private fail(reason: string): void {
    this.transport.close(reason);
    this.onClosed(reason);
  }
}

/** The bridge for this page: the preload's port in the Electron app, the gateway's WebSocket otherwise. */
export function connectBridge(
  target: number,
  handlers: BridgeHandlers,
  w: Window = window,
  first?: UiMessage,
  videoCodecs?: () => Promise<readonly VideoCodecSupport[]>,
  audio?: () => Promise<AudioCapabilities>,
): BridgeSocket {
  const host = electronHost(w);
  return new BridgeSocket(host ? messagePortTransport(host, w) : webSocketTransport(bridgeUrl(w.location)), target, handlers, first, videoCodecs, audio);
}
