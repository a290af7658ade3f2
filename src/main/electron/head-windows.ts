// The Electron windows of guest heads 2-4 of one session window. Thin glue: which window goes on
// which display, at what bounds and whether fullscreen, is planHeadWindows's decision
// (src/protocol/monitors/head-placement.ts, tested there).
//
// Each enabled guest head beyond head 1 gets a window of its own, as remote-viewer opens one per
// display. It loads the same page with #head=N&join=TOKEN and joins the session exactly as a
// browser's head window does: HEAD_JOIN with the session's token over its own MessagePort, to a
// BridgeHost that shares the session window's HeadRegistry. Closing a head window takes its head
// out of the guest's layout (HeadGroup.leave); switching the head on again in head 1's bar opens
// a new window. Not run on a real Electron yet (none can be installed where it was written).
import { BrowserWindow, MessageChannelMain, screen } from 'electron';
import type { HostMessage } from '../../protocol/bridge/bridge-messages.ts';
import type { Logger } from '../../protocol/logger.ts';
import { planHeadWindows, type ClientMonitor, type Rect } from '../../protocol/monitors/head-placement.ts';
import { headTokenToHex } from '../../protocol/bridge/heads-messages.ts';
import type { MonitorMapping } from '../../protocol/monitors/monitor-mapping.ts';
import type { SessionPolicy } from '../../protocol/policy/kiosk-policy.ts';
import { BridgeHost } from '../host/bridge-host.ts';
import type { HeadRegistry } from '../monitors/head-group.ts';
import { FromMain } from './ipc-channels.ts';
import type { ToMainMessage } from './ipc.ts';
import { portEndpoint } from './port-endpoint.ts';
import { InputPorts } from './input-port.ts';
import { APP_ENTRY_URL, guardWindow, policyWindowOptions, type QuitGate, webPreferences } from './window-policy.ts';

export interface HeadWindowsOptions {
  registry: HeadRegistry;
  preload: string;
  packaged: boolean;
  /** The windows' icon (a PNG path; Linux only, see electron-main.ts), or none. */
  icon?: string;
  logger: Logger;
  linkTimeoutMs: number;
  policy: SessionPolicy;
  gate: QuitGate;
  /** The session window's title, for its head windows' titles. */
  title(): string;
  /** Whether the session window (head 1) is fullscreen: its heads follow it. */
  fullscreen(): boolean;
  /** The session window, moved to head 1's monitor when a mapping is given. */
  sessionWindow(): BrowserWindow | null;
  /** A head window got (true) or lost the focus: the session's local clipboard reads follow it (focus-clipboard.ts). */
  focusChanged?(focused: boolean): void;
}

/** Head windows by their page's webContents id, for the app's IPC routing. */
const byContents = new Map<number, HeadWindow>();

/** The head window whose page this is (IPC routing in electron-main.ts). */
export function headWindowOf(contentsId: number): HeadWindow | undefined {
  return byContents.get(contentsId);
}

/** Electron's displays as the placement sees them, in the order the mapping counts them. */
export function clientMonitors(): ClientMonitor[] {
  const rect = (r: Rect): Rect => ({ x: r.x, y: r.y, width: r.width, height: r.height });
  return screen.getAllDisplays().map((d) => ({ bounds: rect(d.bounds), workArea: rect(d.workArea) }));
}

let nextBridgeId = 1_000_000;

class HeadWindow {
  readonly win: BrowserWindow;
  private host: BridgeHost | null = null;
  private readonly inputPorts: InputPorts;

  constructor(
    readonly head: number,
    token: Uint8Array,
    bounds: Rect,
    fullscreen: boolean,
    private readonly o: HeadWindowsOptions,
  ) {
    this.win = new BrowserWindow({
      ...bounds,
      title: `${o.title()} · head ${head + 1}`,
      backgroundColor: '#202124',
      ...(o.icon ? { icon: o.icon } : {}),
      ...policyWindowOptions(o.policy.window),
      fullscreen: fullscreen || o.policy.window.fullscreen,
      webPreferences: webPreferences(o.preload, o.packaged, o.policy.window.devTools),
    });
    guardWindow(this.win, this.win.webContents, o.policy.window, o.gate);
    this.win.on('page-title-updated', (e) => e.preventDefault());
    this.win.on('focus', () => o.focusChanged?.(true));
    this.win.on('blur', () => o.focusChanged?.(false));
    const id = this.win.webContents.id;
    byContents.set(id, this);
    this.inputPorts = new InputPorts({ registry: o.registry, logger: o.logger.child({ head }), linkTimeoutMs: o.linkTimeoutMs });
    this.win.on('closed', () => {
      byContents.delete(id);
      // The view leaves the group, which takes the head out of the guest's layout.
      this.host?.shutdown();
      this.host = null;
      this.inputPorts.shutdown();
    });
    void this.win.loadURL(`${APP_ENTRY_URL}#target=0&head=${head}&join=${headTokenToHex(token)}`);
  }

  receive(m: ToMainMessage): void {
    if (m.channel === 'spicedesk:open-input-port') return this.inputPorts.open(this.win);
    if (m.channel !== 'spicedesk:open-bridge') return;
    this.host?.shutdown();
    const { port1, port2 } = new MessageChannelMain();
    this.host = new BridgeHost(
      portEndpoint(port1),
      { targets: [], logger: this.o.logger.child({ head: this.head }), linkTimeoutMs: this.o.linkTimeoutMs, helloTimeoutMs: 10_000, heads: this.o.registry },
      nextBridgeId++,
    );
    this.win.webContents.postMessage(FromMain.bridgePort, null, [port2]);
  }

  place(bounds: Rect, fullscreen: boolean): void {
    if (this.win.isDestroyed()) return;
    if (this.win.isFullScreen() && !fullscreen) this.win.setFullScreen(false);
    this.win.setBounds(bounds);
    if (fullscreen) this.win.setFullScreen(true);
  }

  close(): void {
    if (!this.win.isDestroyed()) this.win.destroy();
  }
}

/** The head windows of one session window, opened and closed as head 1's page is told about heads. */
export class HeadWindows {
  private token: Uint8Array | null = null;
  private mapping: MonitorMapping | null = null;
  private enabled = 1;
  private maxHeads = 1;
  private sizes: ({ width: number; height: number } | null)[] = [];
  private readonly open = new Map<number, HeadWindow>();
  private positionsSent = '[]';

  constructor(private readonly o: HeadWindowsOptions) {}

  /** Every host message head 1's page gets (BridgeHost's onHostMessage). */
  observe(m: HostMessage): void {
    switch (m.kind) {
      case 'head-token':
        this.token = m.token;
        break;
      case 'head-mapping':
        this.mapping = m.source === 'none' ? null : m.mapping;
        this.placeAll();
        return;
      case 'heads':
        this.enabled = m.enabled;
        this.maxHeads = m.maxHeads;
        this.sizes = [];
        for (const h of m.heads) this.sizes[h.head] = { width: h.width, height: h.height };
        break;
      default:
        return;
    }
    this.sync();
  }

  /** Opens a window for every enabled head without one; a head switched off loses its window. */
  private sync(): void {
    if (!this.token) return;
    for (const [head, w] of this.open) {
      if (w.win.isDestroyed()) this.open.delete(head);
      else if (!(this.enabled & (1 << head)) || head >= this.maxHeads) {
        this.open.delete(head);
        w.close();
      }
    }
    const plan = this.plan();
    for (const p of plan.windows) {
      if (p.head === 0 || this.open.has(p.head) || !(this.enabled & (1 << p.head))) continue;
      const w = new HeadWindow(p.head, this.token, p.bounds, p.fullscreen, this.o);
      this.open.set(p.head, w);
      w.win.on('closed', () => {
        if (this.open.get(p.head) === w) this.open.delete(p.head);
      });
    }
    this.tellPositions(plan.windows);
  }

  private plan() {
    const heads = Array.from({ length: this.maxHeads }, (_, i) => i).filter((h) => this.enabled & (1 << h));
    const plan = planHeadWindows({ mapping: this.mapping, monitors: clientMonitors(), heads, sizes: this.sizes, fullscreen: this.o.fullscreen() });
    if (plan.problem) this.o.logger.warn({ why: plan.problem }, 'monitor mapping not applied');
    if (plan.leftOut.length > 0) this.o.logger.info({ heads: plan.leftOut.map((h) => h + 1) }, 'more guest heads than monitors: these get no window in fullscreen');
    return plan;
  }

  /** Head 1's window goes where the plan puts it too; the others move with fullscreen changes. */
  placeAll(): void {
    const head0 = this.o.sessionWindow();
    const plan = this.plan();
    for (const p of plan.windows) {
      if (p.head === 0) {
        if (head0 && !head0.isDestroyed() && this.mapping) {
          head0.setBounds(p.bounds);
          if (p.fullscreen !== head0.isFullScreen()) head0.setFullScreen(p.fullscreen);
        }
      } else this.open.get(p.head)?.place(p.bounds, p.fullscreen);
    }
    this.tellPositions(plan.windows);
  }

  /** The guest's layout follows the monitors' positions (HeadGroup.setMonitorPositions). */
  private tellPositions(windows: readonly { head: number; bounds: Rect; fullscreen: boolean }[]): void {
    if (!this.token) return;
    const group = this.o.registry.find(this.token);
    const positions: ({ x: number; y: number } | undefined)[] = [];
    // Windows that are not fullscreen are laid out side by side in the guest, as in the browser.
    if (this.o.fullscreen()) for (const w of windows) positions[w.head] = { x: w.bounds.x, y: w.bounds.y };
    // Only on a change: a new layout brings new HEADS, which must not bring yet another layout.
    const key = JSON.stringify(positions);
    if (key === this.positionsSent) return;
    this.positionsSent = key;
    group?.setMonitorPositions(positions);
  }

  closeAll(): void {
    for (const w of this.open.values()) w.close();
    this.open.clear();
  }
}
