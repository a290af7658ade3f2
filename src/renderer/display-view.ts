// The page's side of the display: the decode worker, and who presents. Where the browser can
// hand a canvas to a worker (transferControlToOffscreen), the worker gets the page's canvas and
// draws into it straight from its surface, so decoded pixels never reach the page's thread;
// otherwise (or with #present=page) the worker sends the damaged pixels and the page draws them
// once per animation frame, as it did before.
import type { DisplayStats as PipelineStats, VideoCodecSupport } from '../protocol/channels/display/display-sink.ts';
import type { PresentedPicture, VideoStatus } from './present/video-overlay.ts';
import { packDisplayBatch } from './display-batch.ts';
import { Canvas2dPresenter } from './present/canvas2d-presenter.ts';
import type { PixelPatch, Presenter, PresenterKind } from './present/presenter.ts';
import { WebGlPresenter } from './present/webgl-presenter.ts';
import type { DisplayItem, FromDecodeWorker, RendererChoice, ToDecodeWorker } from './worker-messages.ts';
import { startMark, workerStartMark } from './start-marks.ts';
import { VideoElements, videoElementsSupported } from './present/video-elements.ts';
import { browserProbeEnvironment, probeVideoCodecs } from './video/codec-probe.ts';
import type { PlaybackFromWorker, PlaybackToWorker } from './audio/worker-playback.ts';
import type { RecordFromWorker, RecordToWorker } from './audio/worker-record.ts';

export interface DisplayStats {
  /** Frames presented (by the worker or the page). */
  frames: number;
  /** Pixels of the surface put into the canvas by those frames (the damage's area, what is converted and uploaded). */
  presentedPixels: number;
  /** Damage messages from the worker (only when the page presents). */
  damageMessages: number;
  marks: number;
  messageErrors: number;
  lastError: string;
}

export interface DisplayEvents {
  /** The shown display channel's primary surface (0x0: that channel has none yet). */
  surface(width: number, height: number, channelId: number): void;
  /** The presenter is known (the worker picks it when it presents). */
  presenter(kind: PresenterKind): void;
  workerFailed(message: string): void;
  /** The server asked for more memory than the worker's budget allows (the sentence says what). */
  memoryExceeded(message: string): void;
  /** A video stream the worker could not decode: the host is told, so the server sends the area as draws. */
  streamError(e: { channelId: number; streamId: number; serial?: bigint; message: string }): void;
  /** The playing stream changed, or its frame rate (null: no stream plays). */
  videoStatus(status: VideoStatus | null): void;
}

/** The page's video streams, for the status and the tests. */
export interface VideoStats {
  /** What the worker decodes, best first (empty until it answered, or where it decodes nothing). */
  codecs: VideoCodecSupport[];
  status: VideoStatus | null;
  framesPresented: number;
  materialised: number;
  /** How long an overlaid picture takes from being handed over to its first animation frame (the worker's running median, ms): shown that much early. */
  presentationDelayMs: number;
  streamErrors: number;
  lastStreamError: string;
}

/** How long the page waits for the codec probe before its HELLO goes without them (video then comes as draws). */
const CODEC_PROBE_WAIT_MS = 5000;

type Pixels = { width: number; height: number; rgba: Uint8Array };

/** What the worker says of a bridge that runs in it. */
export type WorkerBridgeMessage = Extract<FromDecodeWorker, { kind: 'bridge-messages' | 'bridge-closed' | 'bridge-fenced' }>;
/** What the page tells the worker of such a bridge. */
export type WorkerBridgeCommand = Extract<ToDecodeWorker, { kind: `bridge-${string}` }>;

/** The decode worker as the page's sound sees it, while the worker plays the guest's playback (audio/worker-playback.ts). */
export interface WorkerSoundLink {
  post(m: PlaybackToWorker | RecordToWorker, transfer?: Transferable[]): void;
  /** One listener, the page's sound part's. */
  listen(listener: (m: PlaybackFromWorker | RecordFromWorker) => void): void;
}

/** The decode worker as a bridge's transport sees it (worker-bridge.ts). */
export interface WorkerBridgeLink {
  post(m: WorkerBridgeCommand, transfer?: Transferable[]): void;
  /** One listener, the page's current bridge's. */
  listen(listener: (m: WorkerBridgeMessage) => void): void;
}

export class DisplayView {
  readonly stats: DisplayStats = { frames: 0, presentedPixels: 0, damageMessages: 0, marks: 0, messageErrors: 0, lastError: '' };
  readonly video: VideoStats = { codecs: [], status: null, framesPresented: 0, materialised: 0, presentationDelayMs: 0, streamErrors: 0, lastStreamError: '' };
  private readonly codecsProbed: Promise<VideoCodecSupport[]>;
  /** Who draws: 'worker' or 'page'. */
  readonly presentsIn: 'worker' | 'page';
  private presenterKind: PresenterKind | 'starting' = 'starting';
  private readonly worker: Worker;
  /** When the page presents. */
  private readonly pagePresenter: Presenter | null = null;
  private queued: PixelPatch[] = [];
  private frameRequested = false;
  private nextRequest = 1;
  private readonly waiting = new Map<number, (m: FromDecodeWorker) => void>();
  private width = 0;
  private height = 0;
  /** The display channel asked for (showChannel); the surface events say when the worker shows it. */
  private wantedChannel = 0;
  /** Where the bridge's messages go when it runs in the worker (worker-bridge.ts). */
  private bridgeListener: ((m: WorkerBridgeMessage) => void) | null = null;
  private soundListener: ((m: PlaybackFromWorker | RecordFromWorker) => void) | null = null;
  /** The element path's `<video>` elements (the default where the worker presents; #videopath=canvas turns it off). */
  private readonly videoElements: VideoElements | null = null;
  /** The presentation log was asked for: the worker sends the elements' pictures' mm times. */
  private watchingElements = false;

  constructor(
    canvas: HTMLCanvasElement,
    o: { renderer: RendererChoice; presentIn: 'worker' | 'page'; lowLatency: boolean; videoPath?: 'canvas' | 'element' },
    private readonly events: DisplayEvents,
  ) {
    this.worker = new Worker('decode-worker.js', { type: 'module', name: 'spicedesk decode' });
    // Asked here, while the worker starts, not in the worker once it has: the HELLO waits for this
    // list, and the session links only after the HELLO (bench/README.md, first frame). The worker
    // decodes with the same browser's WebCodecs; a stream it then fails on comes as draws.
    this.codecsProbed = probeVideoCodecs(browserProbeEnvironment()).then(
      (codecs) => codecs,
      (error: unknown) => {
        console.warn(`spicedesk: probing the video codecs failed (${error instanceof Error ? error.message : String(error)}); video comes as draws`);
        return [];
      },
    );
    void this.codecsProbed.then((codecs) => {
      startMark('codecs-probed');
      this.video.codecs = codecs;
      this.toWorker({ kind: 'video-codecs', codecs });
    });
    this.worker.onmessage = (e: MessageEvent<FromDecodeWorker>) => this.onWorkerMessage(e.data);
    this.worker.onerror = (e) => events.workerFailed(e.message);
    if (o.presentIn === 'worker' && typeof canvas.transferControlToOffscreen === 'function') {
      this.presentsIn = 'worker';
      const offscreen = canvas.transferControlToOffscreen();
      if (o.videoPath === 'element' && videoElementsSupported()) {
        this.videoElements = new VideoElements(
          canvas,
          () => this.surface,
          (key, writable) => this.toWorker({ kind: 'video-writable', key, writable }, writable ? [writable as unknown as Transferable] : []),
        );
      }
      this.toWorker({ kind: 'present-here', canvas: offscreen, renderer: o.renderer, lowLatency: o.lowLatency, videoElements: this.videoElements !== null }, [offscreen]);
    } else {
      this.presentsIn = 'page';
      this.pagePresenter =
        (o.renderer === '2d'
          ? null
          : WebGlPresenter.create(canvas, () => this.toWorker({ kind: 'resend' }), { allowSoftware: o.renderer === 'webgl', lowLatency: o.lowLatency })) ??
        new Canvas2dPresenter(canvas, { lowLatency: o.lowLatency });
      this.presenterKind = this.pagePresenter.kind;
    }
  }

  get presenter(): PresenterKind | 'starting' {
    return this.presenterKind;
  }

  get surface(): { width: number; height: number } {
    return { width: this.width, height: this.height };
  }

  /**
   * The display messages of one host packet, in order. The buffers their bodies view are
   * transferred: nothing on the page may use them afterwards.
   */
  submit(items: DisplayItem[]): void {
    const { buffers, table } = packDisplayBatch(items);
    this.toWorker({ kind: 'display-batch', buffers, table }, [...buffers, table.buffer]);
  }

  /**
   * The video codecs WebCodecs decodes here, best first, for the HELLO; none when the probe does
   * not answer in time: video then comes as ordinary draws.
   */
  videoCodecs(): Promise<VideoCodecSupport[]> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<VideoCodecSupport[]>((done) => (timer = setTimeout(() => done([]), CODEC_PROBE_WAIT_MS)));
    return Promise.race([this.codecsProbed, late]).finally(() => clearTimeout(timer));
  }

  /** The session's multimedia time (the host's MEDIA_TIME), for showing stream pictures at theirs. */
  setMediaTime(mmNow: number): void {
    this.toWorker({ kind: 'media-time', mmNow });
  }

  /** Presents display channel `channelId`'s primary surface (the page's guest head is there). */
  showChannel(channelId: number): void {
    if (channelId === this.wantedChannel) return;
    this.wantedChannel = channelId;
    this.toWorker({ kind: 'show-channel', channelId });
  }

  /** The canvas moved or was cropped (heads.ts): the video elements follow it. */
  canvasMoved(): void {
    this.videoElements?.placeAll();
  }

  /** The decode worker, for a bridge that runs in it. */
  readonly bridgeLink: WorkerBridgeLink = {
    post: (m, transfer) => this.toWorker(m, transfer),
    listen: (listener) => (this.bridgeListener = listener),
  };

  readonly soundLink: WorkerSoundLink = {
    post: (m, transfer) => this.toWorker(m, transfer),
    listen: (listener) => (this.soundListener = listener),
  };

  /**
   * A new session (a reconnect): the old picture goes, decoding starts from nothing. `workerDone`:
   * the worker reset itself already (its bridge saw DISPLAY_RESET before the next display body).
   */
  reset(workerDone = false): void {
    if (!workerDone) this.toWorker({ kind: 'reset' });
    this.videoElements?.clear();
    this.queued = [];
    if (this.pagePresenter && this.width > 0) {
      this.pagePresenter.resize(this.width, this.height);
      this.stats.frames++;
    }
  }

  /** The canvas as presented, RGBA rows top first; null when nothing is shown yet. */
  async readPixels(): Promise<Pixels | null> {
    if (this.pagePresenter) {
      this.drawQueued();
      return this.pagePresenter.readPixels();
    }
    const m = await this.ask((id) => ({ kind: 'read-pixels', id }));
    return m.kind === 'pixels' && 'rgba' in m ? { width: m.width, height: m.height, rgba: m.rgba } : null;
  }

  /** For tests: loses the WebGL context and restores it after `ms`; true once restored, false without WebGL. */
  async loseContextFor(ms: number): Promise<boolean> {
    if (this.pagePresenter) return this.pagePresenter instanceof WebGlPresenter && (await this.pagePresenter.loseContextFor(ms));
    const m = await this.ask((id) => ({ kind: 'lose-context', id, ms }));
    return m.kind === 'context-lost' && m.ok;
  }

  /** What the shown display channel has drawn so far, by operation and image type (tests). */
  async drawStats(): Promise<(PipelineStats & { wasm: boolean }) | null> {
    const m = await this.ask((id) => ({ kind: 'display-stats', id }));
    return m.kind === 'display-stats' ? m.stats : null;
  }

  /** For tests: the video pictures that reached the screen since the last call, with their mm times and when (ms since the epoch). */
  async presentationLog(): Promise<PresentedPicture[]> {
    const m = await this.ask((id) => ({ kind: 'presentation-log', id }));
    const pictures = m.kind === 'presentation-log' ? m.pictures : [];
    if (this.videoElements) {
      // The first ask starts the log: the worker then says each picture's mm time.
      if (!this.watchingElements) this.toWorker({ kind: 'video-watch' });
      this.watchingElements = true;
      pictures.push(...this.videoElements.takePresentationLog());
    }
    return pictures;
  }

  private ask(message: (id: number) => ToDecodeWorker): Promise<FromDecodeWorker> {
    const id = this.nextRequest++;
    return new Promise((done) => {
      this.waiting.set(id, done);
      this.toWorker(message(id));
    });
  }

  private toWorker(m: ToDecodeWorker, transfer: Transferable[] = []): void {
    this.worker.postMessage(m, transfer);
  }

  private onWorkerMessage(m: FromDecodeWorker): void {
    switch (m.kind) {
      case 'surface':
        this.width = m.width;
        this.height = m.height;
        if (this.pagePresenter && m.width > 0) {
          this.pagePresenter.resize(m.width, m.height);
          this.queued = [];
        }
        this.events.surface(m.width, m.height, m.channelId);
        this.videoElements?.placeAll();
        return;
      case 'video-picture':
        if (this.videoElements) this.videoElements.show(m.key, m.frame, m);
        else m.frame.close();
        return;
      case 'video-place':
        this.videoElements?.placeStream(m.key, m);
        return;
      case 'video-handed':
        this.videoElements?.handed(m.key, m.timestamp, m.mm, m.handed);
        return;
      case 'video-hide':
        this.videoElements?.hide(m.key);
        return;
      case 'damage':
        this.stats.damageMessages++;
        this.queued.push(...m.patches);
        this.requestFrame();
        return;
      case 'presenter':
        this.presenterKind = m.presenter;
        this.events.presenter(m.presenter);
        return;
      case 'frames':
        this.stats.frames += m.count;
        this.stats.presentedPixels += m.pixels;
        return;
      case 'pixels':
      case 'context-lost':
      case 'display-stats':
      case 'presentation-log':
        this.waiting.get(m.id)?.(m);
        this.waiting.delete(m.id);
        return;
      case 'mark':
        this.stats.marks++;
        return;
      case 'message-error':
        this.stats.messageErrors++;
        this.stats.lastError = m.message;
        console.warn('spicedesk display:', m.message);
        return;
      case 'memory-exceeded':
        this.events.memoryExceeded(m.message);
        return;
      case 'start-mark':
        workerStartMark(m.name, m.epochMs);
        return;
      case 'log':
        if (m.level === 'error' || m.level === 'warn') console.warn('spicedesk display:', m.text);
        return;
      case 'stream-error':
        this.video.streamErrors++;
        this.video.lastStreamError = m.message;
        console.warn('spicedesk video:', m.message);
        this.events.streamError(m);
        return;
      case 'bridge-messages':
      case 'bridge-closed':
      case 'bridge-fenced':
        this.bridgeListener?.(m);
        return;
      case 'playback-stats':
      case 'playback-problem':
      case 'playout-want':
      case 'record-stats':
        this.soundListener?.(m);
        return;
      case 'video-status':
        this.video.status = m.status;
        this.video.framesPresented = m.framesPresented;
        this.video.materialised = m.materialised;
        this.video.presentationDelayMs = m.presentationDelayMs;
        this.events.videoStatus(m.status);
        return;
    }
  }

  /** When the page presents: once per animation frame, only when something changed. */
  private requestFrame(): void {
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame(() => {
      this.frameRequested = false;
      if (this.drawQueued()) this.stats.frames++;
    });
  }

  private drawQueued(): boolean {
    if (!this.pagePresenter || this.queued.length === 0) return false;
    this.pagePresenter.draw(this.queued);
    for (const p of this.queued) this.stats.presentedPixels += p.width * p.height;
    this.queued = [];
    return true;
  }
}
