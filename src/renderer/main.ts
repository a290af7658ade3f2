// The page of the web gateway and of the Electron window: connects the bridge, feeds display
// bodies to the decode worker in order, presents its damage once per animation frame, captures
// keyboard and mouse, shows the guest's cursor and the session's status.
import { MouseMode as SpiceMouseMode } from '../protocol/channels/main/main-messages.ts';
import type { HostMessage, UiMessage } from '../protocol/bridge/bridge-messages.ts';
import { connectBridge, electronHost, type BridgeHandlers, type BridgeSocket } from './bridge-socket.ts';
import { KioskPage } from './kiosk-page.ts';
import { CursorView } from './cursor-view.ts';
import { KeyboardCapture } from './input/keyboard.ts';
import { MouseCapture } from './input/mouse.ts';
import { DisplayView } from './display-view.ts';
import { HeadsView } from './heads.ts';
import { SessionExtras } from './session-extras.ts';
import { StatusLine } from './status-line.ts';

const byId = <T extends HTMLElement>(id: string): T => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`the page has no #${id}`);
  return e as T;
};

/**
 * Options after the # of the URL: target=N picks the gateway's target; renderer=2d skips WebGL,
 * renderer=webgl uses it even when it is software-rendered (which the page otherwise avoids);
 * present=page draws on the page's thread instead of in the decode worker.
 */
const options = new URLSearchParams(location.hash.slice(1));
const target = Number(options.get('target') ?? '0');

const canvas = byId<HTMLCanvasElement>('screen');
const status = new StatusLine(byId('status'), byId('detail'));
const surface = { width: 0, height: 0, channelId: 0 };

const rendererOption = options.get('renderer');
const display = new DisplayView(
  canvas,
  { renderer: rendererOption === '2d' || rendererOption === 'webgl' ? rendererOption : 'auto', presentIn: options.get('present') === 'page' ? 'page' : 'worker' },
  {
    surface: (width, height, channelId) => {
      surface.width = width;
      surface.height = height;
      surface.channelId = channelId;
      heads.apply();
      cursor.place();
    },
    presenter: () => showDetail(),
    workerFailed: (message) => status.show('error', `the decode worker failed: ${message}`),
  },
);

let bridge: BridgeSocket | null = null;
const send = (m: UiMessage): void => bridge?.send(m);

const cursor = new CursorView(canvas, byId<HTMLImageElement>('cursor'), () => surface);
// The hotkeys are the session policy's (kiosk-page.ts): release-cursor, zoom, Ctrl+Alt+Del...
const keyboard = new KeyboardCapture(canvas, send, (e) => kiosk.hotkey(e));
// Positions name the display channel of the page's head (heads.ts).
const sendMouse = (m: UiMessage): void => send(m.kind === 'mouse-position' ? { ...m, displayId: heads.displayId } : m);
const mouse = new MouseCapture(canvas, sendMouse, () => surface, (e) => keyboard.syncLocks(e));
window.addEventListener('resize', () => cursor.place());
document.addEventListener('pointerlockchange', () => showDetail());
byId('cad').addEventListener('click', () => {
  send({ kind: 'ctrl-alt-del' });
  canvas.focus();
});

// Password dialog, resize-to-fit (#resize=never turns it off), clipboard (#clipboard=...).
const extras = new SessionExtras({ send, status, canvas, options, byId });
// Kiosk mode, the controls shown, the hotkeys and the reconnect screen, as the host's PAGE_POLICY says.
const kiosk = new KioskPage({ send, canvas, byId, mouse, viewChanged: () => cursor.place(), reconnect: () => reopenBridge() });
// Guest heads: this page's head cropped from the surface, and head 0's list of the others (#head=N&join=...).
const targetIndex = Number.isInteger(target) && target >= 0 && target <= 0xffff ? target : 0;
const heads = new HeadsView({ canvas, view: byId('view'), bar: byId('bar'), options, target: targetIndex, send, surface: () => surface, showChannel: (id) => display.showChannel(id), moved: () => cursor.place() });

function showDetail(): void {
  const renderer = display.presenter === 'webgl2' ? 'WebGL2' : display.presenter === '2d' ? '2D canvas' : 'starting';
  const pointer = mouse.mode === 'client' ? 'client mouse' : mouse.locked ? 'server mouse (shift+F12 releases)' : 'server mouse (click to capture)';
  status.setDetail(`${renderer} · ${pointer}`);
}

/**
 * The display messages of one host packet go to the decode worker together, in arrival order,
 * with the packet's buffer transferred once: their bodies are views into it. The batch is sent
 * when the packet's messages have all been handled (a microtask later); nothing else keeps a view
 * into the packet past that point (cursor images and clipboard text are copied out as decoded).
 */
let displayBatch: { channelId: number; type: number; serial: bigint; body: Uint8Array }[] = [];

function queueDisplay(m: Extract<HostMessage, { kind: 'display' }>): void {
  if (displayBatch.length === 0) queueMicrotask(flushDisplay);
  displayBatch.push({ channelId: m.channelId, type: m.type, serial: m.serial, body: m.body });
}

function flushDisplay(): void {
  const items = displayBatch;
  displayBatch = [];
  display.submit(items);
}

function onHostMessage(m: HostMessage): void {
  if (kiosk.onHostMessage(m)) return;
  if (extras.onHostMessage(m) || heads.onHostMessage(m)) return;
  switch (m.kind) {
    case 'display':
      queueDisplay(m);
      return;
    case 'cursor':
      // Each display channel has its cursor channel; the page's head's is the one shown.
      if (m.channelId === heads.displayId) cursor.receive(m.type, m.body);
      return;
    case 'status':
      status.fromSession(m.status);
      if (m.status.state === 'connected') canvas.focus();
      return;
    case 'mouse-mode': {
      askMouseMode();
      const mode = m.current === SpiceMouseMode.CLIENT ? 'client' : 'server';
      mouse.setMode(mode);
      cursor.setMode(mode);
      showDetail();
      return;
    }
    case 'display-reset':
      resetDisplay();
      return;
    case 'hello':
      return;
  }
}

/**
 * #mouse=server keeps relative motion (Pointer Lock) where the server offers absolute positions
 * too; asked once, when the host first reports the modes, it holds for reconnects as well. Head
 * windows (#join=...) follow head 1's.
 */
let mouseModeAsked = false;
function askMouseMode(): void {
  if (mouseModeAsked || options.get('mouse') !== 'server' || options.has('join')) return;
  mouseModeAsked = true;
  send({ kind: 'mouse-mode-request', mode: 'server' });
}

/** The host reconnected: the old session's display must not show through, nor feed the new one's decoding. */
function resetDisplay(): void {
  if (displayBatch.length > 0) flushDisplay();
  display.reset();
}

// The gateway's WebSocket in a browser, the preload's MessagePort in the Electron window.
const bridgeHandlers: BridgeHandlers = {
  message: onHostMessage,
  closed: (reason) => {
    keyboard.releaseAll();
    extras.onClosed();
    if (status.state === 'connecting' || status.state === 'connected' || status.state === 'reconnecting') {
      status.show('disconnected', `disconnected from ${bridge?.peer ?? 'the host'}${reason ? `: ${reason}` : ''}`);
    }
    kiosk.onBridgeClosed(status.text);
  },
};
bridge = connectBridge(targetIndex, bridgeHandlers, window, heads.firstMessage);

/** The reconnect screen's button: the old bridge (and its session) ends, a new one starts. */
function reopenBridge(): void {
  bridge?.close();
  keyboard.releaseAll();
  resetDisplay();
  status.show('connecting', 'starting a new session…');
  bridge = connectBridge(targetIndex, bridgeHandlers, window, heads.firstMessage);
}
showDetail();

// In the Electron window, main asks for the screen's pixels when the user saves a screenshot.
const host = electronHost();
host?.onScreenshotRequest((id) => {
  display.readPixels().then(
    (p) => {
      if (p && p.width > 0 && p.height > 0) host.screenshotReply(id, p.width, p.height, p.rgba);
      else host.screenshotFailed(id, 'nothing is on the screen yet');
    },
    (e: unknown) => host.screenshotFailed(id, e instanceof Error ? e.message : String(e)),
  );
});

/** For tests and screenshots: read-only views of the page's state. */
(window as unknown as { spicedeskPage: object }).spicedeskPage = {
  state: () => ({
    status: status.state,
    statusText: status.text,
    presenter: display.presenter,
    presentsIn: display.presentsIn,
    mouseMode: mouse.mode,
    surface: { ...surface },
    cursorCss: cursor.css,
    cursorShapes: cursor.shapes,
    keysHeld: keyboard.pressed,
    ...extras.state(),
    ...kiosk.state(),
    ...heads.state(),
    ...display.stats,
  }),
  /** The canvas as RGBA bytes, base64, top row first. */
  readPixels: async () => {
    const p = await display.readPixels();
    if (!p) return null;
    let binary = '';
    for (let i = 0; i < p.rgba.length; i += 0x8000) binary += String.fromCharCode(...p.rgba.subarray(i, i + 0x8000));
    return { width: p.width, height: p.height, rgbaBase64: btoa(binary) };
  },
  /** Loses the WebGL context and restores it after `ms` (false without WebGL). */
  loseContext: (ms: number) => display.loseContextFor(ms),
  /** The URL of guest head N's window (N 1-3), once the host gave the join token. */
  headUrl: (head: number) => heads.urlFor(head),
  /** The shown display channel's operations and images drawn so far, by type. */
  drawStats: () => display.drawStats(),
};
