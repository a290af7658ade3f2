// The page's bridge when its transport runs in the decode worker (bridge-in-worker.ts; the default,
// #bridge=page keeps it on the page's thread, bridge-socket.ts). The worker opens the
// gateway's WebSocket, or gets the Electron window's port from here, and puts display bodies into
// its pipeline itself; what the page needs (status, cursor, sound, panels) comes back checked,
// and what the page sends goes out through the worker. Each bridge has an id, so a reconnect's
// new bridge never takes an old one's late messages.
import type { AudioCapabilities } from '../protocol/audio/audio-format.ts';
import type { UiMessage } from '../protocol/bridge/bridge-messages.ts';
import type { VideoCodecSupport } from '../protocol/channels/display/display-sink.ts';
import { bridgeUrl, electronHost, requestBridgePort, type BridgeHandlers, type PageBridge } from './bridge-socket.ts';
import type { WorkerBridgeLink } from './display-view.ts';
import { startMark } from './start-marks.ts';

let lastId = 0;

export class WorkerBridge implements PageBridge {
  readonly peer: string;
  private readonly id = ++lastId;
  private closed = false;
  private lastFence = 0;
  /** Callbacks of fences asked for and not answered yet, by number. */
  private readonly fences = new Map<number, () => void>();

  constructor(
    private readonly worker: WorkerBridgeLink,
    target: number,
    private readonly handlers: BridgeHandlers,
    w: Window = window,
    /** The first message, when not HELLO (a head window's HEAD_JOIN). */
    first?: UiMessage,
    /** The HELLO's video codecs and sound capabilities (it waits for both). */
    extras?: { videoCodecs: () => Promise<readonly VideoCodecSupport[]>; audio: () => Promise<AudioCapabilities> },
  ) {
    const id = this.id;
    worker.listen((m) => {
      if (m.id !== id || this.closed) return;
      if (m.kind === 'bridge-fenced') {
        this.fences.get(m.fence)?.();
        this.fences.delete(m.fence);
        return;
      }
      if (m.kind === 'bridge-closed') {
        this.closed = true;
        handlers.closed(m.reason);
        return;
      }
      for (const message of m.messages) {
        if (this.closed) return;
        handlers.message(message);
      }
    });
    const helloExtras = extras !== undefined && (first === undefined || first.kind === 'hello');
    const open = { kind: 'bridge-open', id, target, helloExtras, ...(first ? { first } : {}) } as const;
    const host = electronHost(w);
    // The extras go after the open (the port comes later than they may), never before it.
    let opened: Promise<void>;
    if (host) {
      this.peer = 'spicedesk';
      opened = new Promise((done) =>
        requestBridgePort(
          host,
          (port) => {
            if (!this.closed) worker.post({ ...open, url: null, port, peer: this.peer }, [port]);
            done();
          },
          w,
        ),
      );
    } else {
      this.peer = 'the gateway';
      worker.post({ ...open, url: bridgeUrl(w.location), port: null, peer: this.peer });
      opened = Promise.resolve();
    }
    if (helloExtras) {
      void Promise.all([extras.videoCodecs(), extras.audio(), opened]).then(([videoCodecs, audio]) => {
        if (!this.closed) worker.post({ kind: 'bridge-hello-extras', id, videoCodecs: [...videoCodecs], audio });
      });
    }
    startMark('bridge-requested');
  }

  send(m: UiMessage): void {
    if (!this.closed) this.worker.post({ kind: 'bridge-send', id: this.id, message: m });
  }

  /** Resolves once everything sent before it has left the worker for the socket; never, if the bridge closes first. */
  fence(): Promise<void> {
    const fence = ++this.lastFence;
    return new Promise((done) => {
      if (this.closed) return;
      this.fences.set(fence, done);
      this.worker.post({ kind: 'bridge-fence', id: this.id, fence });
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.fences.clear();
    this.worker.post({ kind: 'bridge-close', id: this.id });
  }
}
