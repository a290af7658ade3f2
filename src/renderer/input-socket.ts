// The page's key and pointer messages on a WebSocket of their own, sent from the page's thread.
// The bridge runs in the decode worker (worker-bridge.ts), so a key sent through it first wakes
// the worker's thread, 0.3-0.45 ms a tap on the way in (bench/README.md, interactive); the page's
// thread is awake anyway for its keydown. This socket joins the session with its token
// (INPUT_JOIN) and carries INPUT_LANE_KINDS only; everything else, and input before it is open or
// after it closed, goes through the bridge. In the gateway it is a second WebSocket; in the
// Electron window a second MessagePort to the main process (asked of the preload: openInputPort).
//
// Input moves from the bridge to this socket once, when no key or button is held and the worker has
// answered a fence asked for after the last input sent through the bridge: a key-down sent one way
// and its key-up the other could arrive in the wrong order and leave the key down in the guest, and
// a message still waiting in the worker (busy decoding) could be overtaken by the next one sent
// here. Until then input keeps going through the bridge, so none waits for the switch.
import { INPUT_LANE_KINDS } from '../protocol/bridge/heads-messages.ts';
import { INPUT_PORT_MESSAGE, type PreloadContract } from '../protocol/bridge/preload-contract.ts';
import type { UiMessage } from '../protocol/bridge/bridge-messages.ts';
import { BRIDGE_VERSION } from '../protocol/bridge/kinds.ts';
import { encodeUiMessage } from '../protocol/bridge/ui-codec.ts';

/** What the socket needs of a WebSocket (the browser's, the window's port as one, or a test's). */
export interface InputSocketTransport {
  readonly readyState: number;
  binaryType: BinaryType;
  onopen: ((this: WebSocket, ev: Event) => unknown) | null;
  onclose: ((this: WebSocket, ev: CloseEvent) => unknown) | null;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
}

const OPEN = 1;

export class InputSocket {
  private readonly socket: InputSocketTransport;
  private open = false;
  private closed = false;
  /** Input goes here from now on (switched while nothing was held). */
  private inUse = false;
  private readonly keysHeld = new Set<number>();
  private buttonsHeld = 0;
  /** Input messages sent through the bridge instead, and how many of them a fence has seen out of the worker. */
  private bridgeInputs = 0;
  private fencedInputs = 0;
  private fencing = false;
  /** Messages sent through this socket, for the page's state. */
  sent = 0;

  constructor(
    /** A new WebSocket to the gateway, or portInputTransport in the Electron window. */
    socket: InputSocketTransport,
    target: number,
    token: Uint8Array,
    /** Resolves once everything the page sent through the bridge before it has left the worker (WorkerBridge.fence). */
    private readonly fence: () => Promise<void>,
  ) {
    this.socket = socket;
    this.socket.binaryType = 'arraybuffer';
    this.socket.onopen = () => {
      if (this.closed) return;
      this.socket.send(encodeUiMessage({ kind: 'input-join', version: BRIDGE_VERSION, target, token }));
      this.open = true;
      if (this.bridgeInputs !== this.fencedInputs) this.askFence();
    };
    this.socket.onclose = () => {
      this.open = false;
      this.closed = true;
    };
  }

  /** Sends `m` if it is input and this socket carries it now; false: the caller sends it through the bridge. */
  take(m: UiMessage): boolean {
    if (!INPUT_LANE_KINDS.has(m.kind)) return false;
    const held = this.holding;
    this.track(m);
    if (!this.inUse) {
      // A release goes the way its press went; the bridge's last input must have left the worker.
      if (!this.open || held || this.fencedInputs !== this.bridgeInputs) return this.viaBridge();
      this.inUse = true;
    }
    if (!this.open || this.socket.readyState !== OPEN) {
      // Closed under us: back to the bridge for good (what was sent here has arrived or is lost with the socket).
      this.inUse = false;
      this.open = false;
      return false;
    }
    this.socket.send(encodeUiMessage(m));
    this.sent++;
    return true;
  }

  /** Whether input goes through this socket now. */
  get carrying(): boolean {
    return this.inUse && this.open;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.open = false;
    this.socket.close(1000, '');
  }

  /** `m` goes through the bridge; a fence after it lets the next message switch (once the socket is open). */
  private viaBridge(): false {
    this.bridgeInputs++;
    if (this.open && !this.fencing) this.askFence();
    return false;
  }

  private askFence(): void {
    this.fencing = true;
    const covered = this.bridgeInputs;
    void this.fence().then(() => {
      this.fencing = false;
      this.fencedInputs = covered;
      // More went through the bridge while the fence was out: fence those too.
      if (this.open && !this.inUse && covered !== this.bridgeInputs) this.askFence();
    });
  }

  private get holding(): boolean {
    return this.keysHeld.size > 0 || this.buttonsHeld !== 0;
  }

  private track(m: UiMessage): void {
    switch (m.kind) {
      case 'key-down':
        this.keysHeld.add(m.scancode);
        break;
      case 'key-up':
        this.keysHeld.delete(m.scancode);
        break;
      case 'mouse-position':
      case 'mouse-motion':
      case 'mouse-press':
      case 'mouse-release':
        this.buttonsHeld = m.buttons;
        break;
      default:
        break;
    }
  }
}

/**
 * The Electron window's input port as an InputSocketTransport: asked of the preload, it opens when
 * the port comes (a window message from the page's own origin, with one port) and closes when main
 * closes its end.
 */
export function portInputTransport(host: Pick<PreloadContract, 'openInputPort'>, w: Window = window): InputSocketTransport {
  let port: MessagePort | null = null;
  const t: InputSocketTransport & { readyState: number } = {
    readyState: 0,
    binaryType: 'arraybuffer',
    onopen: null,
    onclose: null,
    send: (data) => port?.postMessage(data),
    close: () => {
      t.readyState = 3;
      // A port still to come is closed when it comes (onWindowMessage), so main's end closes too.
      port?.close();
      port = null;
    },
  };
  const onWindowMessage = (e: MessageEvent<unknown>): void => {
    if (e.origin !== w.location.origin || e.data !== INPUT_PORT_MESSAGE || e.ports.length !== 1) return;
    w.removeEventListener('message', onWindowMessage);
    if (t.readyState === 3) return void e.ports[0].close();
    port = e.ports[0];
    // Chromium tells a port that its peer is gone (main closed it, or the session ended).
    (port as EventTarget).addEventListener('close', () => {
      t.readyState = 3;
      t.onclose?.call(null as unknown as WebSocket, new Event('close') as CloseEvent);
    });
    port.start();
    t.readyState = 1;
    t.onopen?.call(null as unknown as WebSocket, new Event('open'));
  };
  w.addEventListener('message', onWindowMessage);
  host.openInputPort();
  return t;
}
