// The session page of the web gateway and of the Electron window: connects the bridge (run by the
// decode worker, which takes the display bodies itself: worker-bridge.ts; with #bridge=page on
// this thread, feeding them to the worker in order), presents its damage once per animation frame,
// captures keyboard and mouse, shows the guest's cursor, the session's status and the guest head
// this window is for. The rest (dialogs, clipboard, files, kiosk mode...) are parts that mount
// themselves from page-part-table.ts (page-parts.ts says how).
import { MouseMode as SpiceMouseMode } from '../protocol/channels/main/main-messages.ts';
import type { HostMessage, UiMessage } from '../protocol/bridge/bridge-messages.ts';
import type { PreloadContract } from '../protocol/bridge/preload-contract.ts';
import { bridgeUrl, connectBridge, type BridgeHandlers, type PageBridge } from './bridge-socket.ts';
import { InputSocket, portInputTransport } from './input-socket.ts';
import { WorkerBridge } from './worker-bridge.ts';
import { CursorView } from './cursor-view.ts';
import { DisplayView, type WorkerSoundLink } from './display-view.ts';
import { HeadsView } from './heads.ts';
import { KeyboardCapture } from './input/keyboard.ts';
import { MouseCapture } from './input/mouse.ts';
import { MountedParts, pageContext, type PageContext, type PagePart, type PageServices } from './page-parts.ts';
import { StatusLine } from './status-line.ts';
import { browserAudioEnvironment, probeAudioCapabilities } from './audio/audio-capabilities.ts';
import type { AudioCapabilities } from '../protocol/audio/audio-format.ts';
import { startMark } from './start-marks.ts';

export interface SessionPageOptions {
  /** The URL's # options (page-parts.ts PageContext lists them). */
  options: URLSearchParams;
  /** The preload's API in the Electron app, null in a browser. */
  electron: PreloadContract | null;
  byId<T extends HTMLElement>(id: string): T;
  parts: readonly PagePart[];
}

/**
 * URL options the page itself reads: target=N picks the gateway's target; renderer=2d skips
 * WebGL, renderer=webgl uses it even when it is software-rendered (which the page otherwise
 * avoids); present=page draws on the page's thread instead of in the decode worker;
 * lowlatency=1 asks for desynchronized canvas contexts (measured in bench/README.md, interactive:
 * no gain with Chromium's software compositing, so off by default); opus=page decodes Opus sound
 * with WebCodecs on the page's thread instead of in the audio worklet (audio-part.ts);
 * videopath=canvas draws VP8, VP9 and H.264 stream pictures into the canvas instead of showing them
 * in `<video>` elements over it (present/video-elements.ts; measured in bench/README.md, video);
 * bridge=page runs the bridge's WebSocket (or port) on the page's thread instead of in the decode
 * worker (worker-bridge.ts; the worker's costs less CPU: bench/README.md, interactive);
 * input=bridge sends keys and pointer messages through the bridge only, without the page's input
 * socket (input-socket.ts).
 */
export class SessionPage implements PageServices {
  readonly context: PageContext;
  readonly canvas: HTMLCanvasElement;
  readonly status: StatusLine;
  readonly display: DisplayView;
  readonly cursor: CursorView;
  readonly keyboard: KeyboardCapture;
  readonly mouse: MouseCapture;
  /** Guest heads: this page's head cropped from the surface, and head 1's list of the others (#head=N&join=...). */
  readonly heads: HeadsView;
  readonly parts: MountedParts;
  readonly electron: PreloadContract | null;
  readonly byId: <T extends HTMLElement>(id: string) => T;
  /** The presented surface and the display channel it belongs to. */
  private readonly surface = { width: 0, height: 0, channelId: 0 };
  private readonly target: number;
  private bridge: PageBridge | null = null;
  /** Whether the bridge's transport runs in the decode worker (the default) or on this thread (#bridge=page). */
  private readonly bridgeInWorker: boolean;
  /** Keys and pointer messages from this thread (bridge in the worker, not #input=bridge): a WebSocket, or the window's input port; opened once the session's token comes. */
  private inputSocket: InputSocket | null = null;
  private readonly wantsInputSocket: boolean;
  /** While sound plays, the video is shown by what is audible (audio-part.ts), not by the host's MEDIA_TIME. */
  private audioClockActive = false;
  /** What the page can do with sound, asked once (the HELLO carries it). */
  private audioCapabilities: Promise<AudioCapabilities> | null = null;
  /**
   * The display messages of one host packet go to the decode worker together, in arrival order,
   * with the packet's buffer transferred once: their bodies are views into it. The batch is sent
   * when the packet's messages have all been handled (a microtask later); nothing else keeps a view
   * into the packet past that point (cursor images and clipboard text are copied out as decoded).
   */
  private displayBatch: { channelId: number; type: number; serial: bigint; body: Uint8Array }[] = [];
  // The gateway's WebSocket in a browser, the preload's MessagePort in the Electron window.
  private readonly bridgeHandlers: BridgeHandlers = {
    message: (m) => this.onHostMessage(m),
    closed: (reason) => this.onBridgeClosed(reason),
  };

  constructor(o: SessionPageOptions) {
    this.context = pageContext(o.options, o.electron !== null);
    this.electron = o.electron;
    this.byId = o.byId;
    const options = o.options;
    const target = Number(options.get('target') ?? '0');
    this.target = Number.isInteger(target) && target >= 0 && target <= 0xffff ? target : 0;
    const canvas = (this.canvas = o.byId<HTMLCanvasElement>('screen'));
    this.status = new StatusLine(o.byId('status'), o.byId('detail'), o.byId('video-status'));
    this.bridgeInWorker = options.get('bridge') !== 'page';
    this.wantsInputSocket = this.bridgeInWorker && options.get('input') !== 'bridge';
    const rendererOption = options.get('renderer');
    this.display = new DisplayView(
      canvas,
      {
        renderer: rendererOption === '2d' || rendererOption === 'webgl' ? rendererOption : 'auto',
        presentIn: options.get('present') === 'page' ? 'page' : 'worker',
        lowLatency: options.get('lowlatency') === '1',
        videoPath: options.get('videopath') === 'canvas' ? 'canvas' : 'element',
      },
      {
        surface: (width, height, channelId) => {
          Object.assign(this.surface, { width, height, channelId });
          this.heads.apply();
          this.cursor.place();
        },
        presenter: () => this.showDetail(),
        workerFailed: (message) => this.status.show('error', `the decode worker failed: ${message}`),
        memoryExceeded: (message) => this.memoryExceeded(message),
        streamError: (e) => this.send({ kind: 'stream-error', channelId: e.channelId, streamId: e.streamId, serial: e.serial, message: e.message }),
        videoStatus: (status) => this.status.setVideo(status),
      },
    );
    // The cursors the page caches have a budget too; a server over it ends the session as the display's does.
    this.cursor = new CursorView(canvas, o.byId<HTMLImageElement>('cursor'), () => this.surface, (message) => this.memoryExceeded(message));
    // The hotkeys are the parts' (the session policy's, kiosk-page.ts): release-cursor, zoom, Ctrl+Alt+Del...
    this.keyboard = new KeyboardCapture(canvas, this.send, (e) => this.parts.hotkey(e));
    // Positions name the display channel of the page's head (heads.ts).
    const sendMouse = (m: UiMessage): void => this.send(m.kind === 'mouse-position' ? { ...m, displayId: this.heads.displayId } : m);
    this.mouse = new MouseCapture(canvas, sendMouse, () => this.surface, (e) => this.keyboard.syncLocks(e));
    window.addEventListener('resize', () => this.cursor.place());
    document.addEventListener('pointerlockchange', () => this.showDetail());
    o.byId('cad').addEventListener('click', () => {
      this.send({ kind: 'ctrl-alt-del' });
      canvas.focus();
    });
    this.parts = MountedParts.mount(o.parts, this.context, this);
    this.heads = new HeadsView({
      canvas,
      view: o.byId('view'),
      bar: o.byId('bar'),
      options,
      target: this.target,
      send: this.send,
      surface: () => this.surface,
      showChannel: (id) => this.display.showChannel(id),
      moved: () => {
        this.cursor.place();
        this.display.canvasMoved();
      },
    });
  }

  get soundWorker(): WorkerSoundLink | null {
    return this.bridgeInWorker ? this.display.soundLink : null;
  }

  /** Opens the bridge (HELLO, or HEAD_JOIN for a head's window). */
  start(): void {
    this.bridge = this.openBridge();
    this.showDetail();
  }

  readonly send = (m: UiMessage): void => {
    if (this.inputSocket?.take(m)) return;
    this.bridge?.send(m);
  };

  viewChanged(): void {
    this.cursor.place();
  }

  readPixels(): Promise<{ width: number; height: number; rgba: Uint8Array } | null> {
    return this.display.readPixels();
  }

  /** The reconnect screen's button: the old bridge (and its session) ends, a new one starts. */
  reconnect(): void {
    this.closeInputSocket();
    this.bridge?.close();
    this.keyboard.releaseAll();
    this.resetDisplay();
    this.status.show('connecting', 'starting a new session…');
    this.bridge = this.openBridge();
  }

  audioClock(mmNow: number | null): void {
    this.audioClockActive = mmNow !== null;
    if (mmNow !== null) this.display.setMediaTime(mmNow);
  }

  /** The HELLO lists the video codecs the decode worker found and what the page does with sound (head windows join with HEAD_JOIN instead). */
  private openBridge(): PageBridge {
    const audio = (): Promise<AudioCapabilities> => (this.audioCapabilities ??= probeAudioCapabilities(browserAudioEnvironment()));
    if (this.bridgeInWorker) {
      return new WorkerBridge(this.display.bridgeLink, this.target, this.bridgeHandlers, window, this.heads.firstMessage, { videoCodecs: () => this.display.videoCodecs(), audio });
    }
    return connectBridge(this.target, this.bridgeHandlers, window, this.heads.firstMessage, () => this.display.videoCodecs(), audio);
  }

  private showDetail(): void {
    const display = this.display.presenter;
    const renderer = display === 'webgl2' ? 'WebGL2' : display === '2d' ? '2D canvas' : 'starting';
    const mouse = this.mouse;
    const pointer = mouse.mode === 'client' ? 'client mouse' : mouse.locked ? 'server mouse (shift+F12 releases)' : 'server mouse (click to capture)';
    this.status.setDetail(`${renderer} · ${pointer}`);
  }

  private onHostMessage(m: HostMessage): void {
    // Head 1's page learns the session's token from HEAD_TOKEN; a head window has it from its link.
    if (m.kind === 'head-token') this.openInputSocket(m.token);
    else if (m.kind === 'status' && m.status.state === 'connected') this.openInputSocket();
    if (this.parts.onHostMessage(m) || this.heads.onHostMessage(m)) return;
    switch (m.kind) {
      case 'display':
        startMark('first-display-message');
        if (this.displayBatch.length === 0) queueMicrotask(() => this.flushDisplay());
        this.displayBatch.push({ channelId: m.channelId, type: m.type, serial: m.serial, body: m.body });
        return;
      case 'cursor':
        // Each display channel has its cursor channel; the page's head's is the one shown.
        if (m.channelId === this.heads.displayId) this.cursor.receive(m.type, m.body);
        return;
      case 'status':
        this.status.fromSession(m.status);
        startMark(`status-${m.status.state}`);
        if (m.status.state === 'connected') this.canvas.focus();
        return;
      case 'mouse-mode': {
        const mode = m.current === SpiceMouseMode.CLIENT ? 'client' : 'server';
        this.mouse.setMode(mode);
        this.cursor.setMode(mode);
        this.showDetail();
        return;
      }
      case 'display-reset':
        // With the bridge in the worker, the worker reset its display before the next display body.
        this.resetDisplay(this.bridgeInWorker);
        return;
      case 'media-time':
        // The host's clock follows the page's AUDIO_CLOCK while sound plays: its echo is older than what the page hears.
        if (!this.audioClockActive) this.display.setMediaTime(m.mmNow);
        return;
      case 'hello':
        return;
    }
  }

  /** The input socket for this bridge's session, once its token is known (HEAD_TOKEN's is passed: the heads view keeps it only after this). */
  private openInputSocket(token: Uint8Array | null = null): void {
    const t = token ?? this.heads.sessionToken;
    if (!this.wantsInputSocket || this.inputSocket || !t) return;
    const bridge = this.bridge;
    if (!(bridge instanceof WorkerBridge)) return;
    const socket = this.electron ? portInputTransport(this.electron) : new WebSocket(bridgeUrl(window.location));
    this.inputSocket = new InputSocket(socket, this.target, t, () => bridge.fence());
  }

  private closeInputSocket(): void {
    this.inputSocket?.close();
    this.inputSocket = null;
  }

  private onBridgeClosed(reason: string): void {
    this.closeInputSocket();
    this.keyboard.releaseAll();
    const status = this.status;
    if (status.state === 'connecting' || status.state === 'connected' || status.state === 'reconnecting') {
      status.show('disconnected', `disconnected from ${this.bridge?.peer ?? 'the host'}${reason ? `: ${reason}` : ''}`);
    }
    this.parts.onBridgeClosed(status.text);
  }

  private flushDisplay(): void {
    const items = this.displayBatch;
    this.displayBatch = [];
    this.display.submit(items);
  }

  /** The host reconnected: the old session's display must not show through, nor feed the new one's decoding. */
  private resetDisplay(workerDone = false): void {
    if (this.displayBatch.length > 0) this.flushDisplay();
    this.display.reset(workerDone);
    this.cursor.newSession();
  }

  /** As the CLI does when the server asks for more memory than the budget: the session ends, saying what was asked. */
  private memoryExceeded(message: string): void {
    this.status.show('error', message);
    this.bridge?.close();
  }

  /** window.spicedeskPage: read-only views of the page's state, for tests and screenshots. */
  testHooks() {
    return {
      state: () => ({
        status: this.status.state,
        statusText: this.status.text,
        presenter: this.display.presenter,
        presentsIn: this.display.presentsIn,
        bridgeIn: this.bridgeInWorker ? ('worker' as const) : ('page' as const),
        /** Where keys and pointer messages go now, and how many went through the input socket. */
        input: { via: this.inputSocket?.carrying ? ('socket' as const) : ('bridge' as const), socketSent: this.inputSocket?.sent ?? 0 },
        mouseMode: this.mouse.mode,
        surface: { ...this.surface },
        cursorCss: this.cursor.css,
        cursorShapes: this.cursor.shapes,
        keysHeld: this.keyboard.pressed,
        ...this.parts.state(),
        ...this.heads.state(),
        ...this.display.stats,
        video: { ...this.display.video, statusText: this.status.videoText },
      }),
      /** The canvas as RGBA bytes, base64, top row first. */
      readPixels: async () => {
        const p = await this.display.readPixels();
        if (!p) return null;
        let binary = '';
        for (let i = 0; i < p.rgba.length; i += 0x8000) binary += String.fromCharCode(...p.rgba.subarray(i, i + 0x8000));
        return { width: p.width, height: p.height, rgbaBase64: btoa(binary) };
      },
      /** Loses the WebGL context and restores it after `ms` (false without WebGL). */
      loseContext: (ms: number) => this.display.loseContextFor(ms),
      /** The URL of guest head N's window (N 1-3), once the host gave the join token. */
      headUrl: (head: number) => this.heads.urlFor(head),
      /** The shown display channel's operations and images drawn so far, by type. */
      drawStats: () => this.display.drawStats(),
      /** The video pictures that reached the screen since the last call: mm time and when (ms since the epoch). */
      presentationLog: () => this.display.presentationLog(),
      ...this.parts.testHooks(),
    };
  }
}
