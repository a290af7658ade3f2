// The bridge's far end inside the decode worker (worker-bridge.ts is the page's side): the
// gateway's WebSocket is opened here, or the Electron window's port is handed here, so display
// bodies go from the socket into the display pipeline on this thread. On the page's thread each
// packet cost a WebSocket event, a postMessage and a wake of this thread (bench/README.md,
// interactive). Every host packet is still decoded and checked by BridgeSocket: garbage ends the
// bridge with the same sentence as on the page. Playback bodies stay here too where the page plays
// sound (audio/worker-playback.ts). The other host messages (status, cursor, record, panels) go on
// to the page, a packet's at a time, in order.
import type { HostMessage } from '../protocol/bridge/bridge-messages.ts';
import type { AudioCapabilities } from '../protocol/audio/audio-format.ts';
import type { VideoCodecSupport } from '../protocol/channels/display/display-sink.ts';
import { BridgeSocket, portTransport, webSocketTransport } from './bridge-socket.ts';
import type { FromDecodeWorker, ToDecodeWorker } from './worker-messages.ts';

export interface WorkerBridgeSinks {
  /** A display body, in order: straight into the pipeline. */
  display(channelId: number, type: number, body: Uint8Array, serial: bigint): void;
  /** DISPLAY_RESET: the old session's surfaces, caches and GLZ window go before the next display body is submitted. */
  resetDisplay(): void;
  /** Any other host message, in order, before it goes on to the page: true when it was handled here and does not go on (playback bodies: audio/worker-playback.ts). */
  host(m: HostMessage): boolean;
  /** The bridge closed (the host closed it, or broke the protocol). */
  ended(): void;
  post(m: FromDecodeWorker): void;
}

type Open = Extract<ToDecodeWorker, { kind: 'bridge-open' }>;

/** Byte fields of a forwarded message are views into the host's packet, whose buffer is the pipeline's now: copied, so the page gets only their bytes. */
function detached(m: HostMessage): HostMessage {
  let copy: Record<string, unknown> | null = null;
  for (const [key, value] of Object.entries(m)) {
    if (value instanceof Uint8Array && value.byteLength !== value.buffer.byteLength) (copy ??= { ...m })[key] = value.slice();
  }
  return (copy as HostMessage | null) ?? m;
}

export class WorkerBridgeEnd {
  readonly id: number;
  private readonly socket: BridgeSocket;
  private toPage: HostMessage[] = [];
  private extras: ((e: { videoCodecs: VideoCodecSupport[]; audio: AudioCapabilities }) => void) | null = null;

  constructor(o: Open, private readonly sinks: WorkerBridgeSinks) {
    this.id = o.id;
    const transport = o.port ? portTransport(o.port, o.peer) : webSocketTransport(o.url ?? '');
    const extras = o.helloExtras ? new Promise<{ videoCodecs: VideoCodecSupport[]; audio: AudioCapabilities }>((done) => (this.extras = done)) : null;
    this.socket = new BridgeSocket(
      transport,
      o.target,
      {
        message: (m) => this.onMessage(m),
        closed: (reason) => {
          this.flush();
          sinks.ended();
          sinks.post({ kind: 'bridge-closed', id: this.id, reason });
        },
      },
      o.first,
      extras ? () => extras.then((e) => e.videoCodecs) : undefined,
      extras ? () => extras.then((e) => e.audio) : undefined,
    );
  }

  helloExtras(e: { videoCodecs: VideoCodecSupport[]; audio: AudioCapabilities }): void {
    this.extras?.(e);
    this.extras = null;
  }

  send(m: Parameters<BridgeSocket['send']>[0]): void {
    this.socket.send(m);
  }

  close(): void {
    this.toPage = [];
    this.socket.close();
  }

  private onMessage(m: HostMessage): void {
    if (m.kind === 'display') return this.sinks.display(m.channelId, m.type, m.body, m.serial);
    if (m.kind === 'display-reset') this.sinks.resetDisplay();
    if (this.sinks.host(m)) return;
    // BridgeSocket hands on a packet's messages in one turn: they go to the page together after it.
    if (this.toPage.length === 0) queueMicrotask(() => this.flush());
    this.toPage.push(detached(m));
  }

  private flush(): void {
    if (this.toPage.length === 0) return;
    const messages = this.toPage;
    this.toPage = [];
    this.sinks.post({ kind: 'bridge-messages', id: this.id, messages });
  }
}
