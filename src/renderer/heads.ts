// Several guest heads in the page. Every view decodes every display channel (the host links them
// again when a view joins, so each gets the full screen); a view presents the display channel its
// head is on (one channel with several heads, as Xspice has, or one channel per head, as QEMU with
// several display devices has) and shows its own head's rectangle of that channel's surface,
// cropped with CSS. The mouse needs nothing more than the channel: positions come from the
// canvas's box, which the crop moves, so they land in the head's part of the surface.
//
// URL options: head=N (1-3) and join=TOKEN make this page the view of guest head N+1 in the
// session of the page that opened it; without them the page is head 0's view and lists the other
// heads in its bar (open a window, switch a head on or off).
import type { HostMessage, UiMessage } from '../protocol/bridge/bridge-messages.ts';
import { BRIDGE_VERSION } from '../protocol/bridge/kinds.ts';
import type { GuestHead } from '../protocol/monitors/head-layout.ts';
import { HEAD_TOKEN_BYTES, headTokenFromHex, headTokenToHex } from '../protocol/bridge/heads-messages.ts';
import { MAX_MAPPED_HEADS } from '../protocol/monitors/monitor-mapping.ts';
import { formatMonitorMapping } from '../protocol/monitors/monitor-mapping.ts';
import { planHeadWindows, type ClientMonitor } from '../protocol/monitors/head-placement.ts';

export interface HeadsViewOptions {
  canvas: HTMLCanvasElement;
  /** The area the head is shown in (#view). */
  view: HTMLElement;
  /** Where head 0's page puts its list of heads (#bar). */
  bar: HTMLElement;
  options: URLSearchParams;
  target: number;
  send(m: UiMessage): void;
  /** The presented surface, and the display channel it belongs to. */
  surface(): { width: number; height: number; channelId: number };
  /** Present this display channel's primary surface (the head's). */
  showChannel(channelId: number): void;
  /** The crop changed (the cursor overlay follows the canvas). */
  moved(): void;
}

/** The page's head from its URL: 0, or 1-3 with the join token. */
export function headOfOptions(options: URLSearchParams): { head: number; token: Uint8Array | null } {
  const head = Number(options.get('head') ?? '0');
  if (!Number.isInteger(head) || head < 1 || head >= MAX_MAPPED_HEADS) return { head: 0, token: null };
  // A wrong token still joins, to be refused by the host with a sentence the page shows.
  return { head, token: headTokenFromHex(options.get('join') ?? '') ?? new Uint8Array(HEAD_TOKEN_BYTES) };
}

/** Where the head's rectangle sits, in CSS pixels, for a view box; never scaled up. */
export function cropFor(head: GuestHead, surface: { width: number; height: number }, box: { width: number; height: number }) {
  const scale = Math.min(1, box.width / head.width, box.height / head.height);
  return {
    scale,
    clip: { width: head.width * scale, height: head.height * scale },
    canvas: { left: -head.x * scale, top: -head.y * scale, width: surface.width * scale, height: surface.height * scale },
  };
}

export class HeadsView {
  readonly head: number;
  private readonly joinToken: Uint8Array | null;
  private token: Uint8Array | null = null;
  private heads: GuestHead[] = [];
  private maxHeads = 1;
  private enabled = 1;
  private joined = 0;
  private readonly clip: HTMLDivElement;
  private readonly list: HTMLSpanElement;
  private cropped = false;
  private lastChannel = 0;
  /** Windows this page opened, by head. */
  private readonly windows = new Map<number, Window>();
  /** Where the monitor mapping puts head windows (protocol/monitors/head-placement.ts). */
  private readonly placement = new PageHeadPlacement(() => this.maxHeads);

  constructor(private readonly o: HeadsViewOptions) {
    const { head, token } = headOfOptions(o.options);
    this.head = head;
    this.joinToken = token;
    this.clip = document.createElement('div');
    this.clip.id = 'head-clip';
    o.canvas.replaceWith(this.clip);
    this.clip.append(o.canvas);
    this.list = document.createElement('span');
    this.list.id = 'heads';
    this.list.hidden = true;
    if (head === 0) o.bar.insertBefore(this.list, o.bar.querySelector('#cad'));
    new ResizeObserver(() => this.apply()).observe(o.view);
    if (head > 0) document.title = `spicedesk · head ${head + 1}`;
  }

  /** The session's join token: from the link for a head's window, from HEAD_TOKEN for head 1's page; null until then. */
  get sessionToken(): Uint8Array | null {
    return this.joinToken ?? this.token;
  }

  /** The page's first bridge message: HELLO for head 0, HEAD_JOIN for the others. */
  get firstMessage(): UiMessage {
    return this.joinToken
      ? { kind: 'head-join', version: BRIDGE_VERSION, target: this.o.target, head: this.head, token: this.joinToken }
      : { kind: 'hello', version: BRIDGE_VERSION, target: this.o.target };
  }

  /** Takes the host messages about heads; false for the others. */
  onHostMessage(m: HostMessage): boolean {
    switch (m.kind) {
      case 'head-token':
        this.token = m.token;
        this.renderList();
        return true;
      case 'head-mapping':
        this.placement.setMapping(m.source === 'none' ? null : m.mapping);
        this.renderList();
        return true;
      case 'heads':
        this.heads = m.heads;
        this.lastChannel = this.rect?.channelId ?? this.lastChannel;
        this.maxHeads = m.maxHeads;
        this.enabled = m.enabled;
        this.joined = m.joined;
        this.apply();
        this.renderList();
        return true;
      default:
        return false;
    }
  }

  /** This view's head as the guest has it now; undefined when the guest has it switched off. */
  get rect(): GuestHead | undefined {
    return this.heads.find((h) => h.head === this.head);
  }

  /**
   * The display channel of this view's head, which the guest's mouse positions name and whose
   * cursor channel the view follows; the last one known while the guest has the head off or a new
   * session has not said yet (a reconnect's cursor comes before its MONITORS_CONFIG).
   */
  get displayId(): number {
    return this.lastChannel;
  }

  /** Crops the canvas to the head (again: a new surface, a resized window, new heads). */
  apply(): void {
    const rect = this.rect;
    if (rect) this.o.showChannel(rect.channelId);
    const surface = this.o.surface();
    const canvas = this.o.canvas;
    // Until the worker presents the head's channel, the surface is another channel's: nothing is shown.
    const shown = rect && rect.channelId === surface.channelId && surface.width > 0;
    if (!shown) {
      // Head 0 without MONITORS_CONFIG shows the whole surface, as before; another head shows nothing.
      this.uncrop();
      canvas.style.visibility = this.head === 0 ? '' : 'hidden';
      this.o.moved();
      return;
    }
    const box = this.o.view.getBoundingClientRect();
    const c = cropFor(rect, surface, box);
    this.cropped = true;
    canvas.style.visibility = '';
    Object.assign(this.clip.style, { position: 'relative', overflow: 'hidden', flex: 'none', width: `${c.clip.width}px`, height: `${c.clip.height}px` });
    Object.assign(canvas.style, {
      position: 'absolute',
      maxWidth: 'none',
      maxHeight: 'none',
      left: `${c.canvas.left}px`,
      top: `${c.canvas.top}px`,
      width: `${c.canvas.width}px`,
      height: `${c.canvas.height}px`,
    });
    this.o.moved();
  }

  private uncrop(): void {
    if (!this.cropped) return;
    this.cropped = false;
    this.clip.removeAttribute('style');
    for (const p of ['position', 'max-width', 'max-height', 'left', 'top', 'width', 'height']) this.o.canvas.style.removeProperty(p);
  }

  /** The URL of head `head`'s view (null before the host gave the token). */
  urlFor(head: number): string | null {
    if (!this.token || head < 1 || head >= MAX_MAPPED_HEADS) return null;
    return `${location.origin}${location.pathname}#target=${this.o.target}&head=${head}&join=${headTokenToHex(this.token)}`;
  }

  /**
   * Opens (or brings forward) the window of head `head`; its size becomes the head's resolution.
   * With a monitor mapping, on the monitor it names when the browser lets the page place windows.
   */
  async open(head: number): Promise<void> {
    const url = this.urlFor(head);
    if (!url) return;
    const open = this.windows.get(head);
    if (open && !open.closed) {
      open.focus();
      return;
    }
    const rect = this.heads.find((h) => h.head === head);
    const size = rect ? { width: Math.round(rect.width / devicePixelRatio), height: Math.round(rect.height / devicePixelRatio) } : null;
    const features = await this.placement.featuresFor(head, size);
    this.renderList();
    const w = window.open(url, `spicedesk-head-${head}`, features);
    if (w) this.windows.set(head, w);
  }

  private renderList(): void {
    if (this.head !== 0) return;
    this.list.hidden = this.maxHeads < 2;
    this.list.replaceChildren();
    for (let head = 1; head < this.maxHeads; head++) {
      const item = document.createElement('span');
      item.className = 'head';
      const on = document.createElement('input');
      on.type = 'checkbox';
      on.checked = (this.enabled & (1 << head)) !== 0;
      on.title = `Switch guest head ${head + 1} on or off`;
      on.dataset.head = String(head);
      on.addEventListener('change', () => this.o.send({ kind: 'head-enable', head, enabled: on.checked }));
      const label = document.createElement('label');
      label.append(on, ` Head ${head + 1}`);
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = (this.joined & (1 << head)) !== 0 ? 'Show' : 'Open';
      button.title = `Open guest head ${head + 1} in its own window`;
      button.disabled = this.token === null;
      button.dataset.head = String(head);
      button.addEventListener('click', () => void this.open(head));
      item.append(label, button);
      this.list.append(item);
    }
    const note = this.placement.note;
    if (note) {
      const p = document.createElement('span');
      p.id = 'head-mapping-note';
      p.textContent = note;
      this.list.append(p);
    }
  }

  /** For the page's test hooks. */
  state(): object {
    return { head: this.head, heads: this.heads, maxHeads: this.maxHeads, headsEnabled: this.enabled, headsJoined: this.joined, headRect: this.rect ?? null, hasHeadToken: this.token !== null, ...this.placement.state() };
  }
}

/** The Window Management API, where the browser has it (Chromium 100+); not in TypeScript's DOM types yet. */
interface ScreenDetailed {
  left: number;
  top: number;
  width: number;
  height: number;
  availLeft: number;
  availTop: number;
  availWidth: number;
  availHeight: number;
}
interface ScreenDetails {
  screens: ScreenDetailed[];
  currentScreen: ScreenDetailed;
}
type WindowWithScreens = Window & { getScreenDetails?: () => Promise<ScreenDetails> };

/**
 * The monitor mapping in the page, best effort: head windows open on the monitors it names when
 * the browser lets the page know its monitors and place windows (the Window Management API, with
 * the user's permission); otherwise they open where the browser puts them and the page says so.
 * The page cannot move its own window: when head 1 is on another monitor than the mapping's, it
 * says where to move it.
 */
class PageHeadPlacement {
  private mapping: number[] | null = null;
  /** What the page says about the mapping, in head 1's bar. */
  note: string | null = null;
  private applied: 'none' | 'placed' | 'not-applied' = 'none';

  constructor(private readonly maxHeads: () => number) {}

  setMapping(mapping: number[] | null): void {
    this.mapping = mapping && mapping.length > 0 ? mapping : null;
    this.note = null;
    this.applied = 'none';
  }

  /** window.open features for head `head`'s window. */
  async featuresFor(head: number, size: { width: number; height: number } | null): Promise<string> {
    const plain = `popup${size ? `,width=${size.width},height=${size.height}` : ''}`;
    if (!this.mapping) return plain;
    const text = formatMonitorMapping(this.mapping);
    const screens = (window as WindowWithScreens).getScreenDetails;
    if (!screens) return this.notApplied(plain, `the monitor mapping ${text} could not be applied: this browser cannot place windows on monitors (no Window Management API); head windows open where it puts them`);
    let details: ScreenDetails;
    try {
      details = await screens.call(window);
    } catch (e) {
      return this.notApplied(plain, `the monitor mapping ${text} could not be applied: the page may not place windows (${e instanceof Error ? e.message : String(e)}); allow window management for this site to use it`);
    }
    const monitors: ClientMonitor[] = details.screens.map((sc) => ({
      bounds: { x: sc.left, y: sc.top, width: sc.width, height: sc.height },
      workArea: { x: sc.availLeft, y: sc.availTop, width: sc.availWidth, height: sc.availHeight },
    }));
    const heads = Array.from({ length: Math.max(this.maxHeads(), head + 1) }, (_, i) => i);
    const plan = planHeadWindows({ mapping: this.mapping, monitors, heads, sizes: heads.map((h) => (h === head ? size : null)), fullscreen: false });
    if (plan.problem) return this.notApplied(plain, `${plan.problem}; head windows open where the browser puts them`);
    const w = plan.windows.find((p) => p.head === head);
    if (!w) return this.notApplied(plain, `the monitor mapping ${text} gives head ${head + 1} no monitor`);
    this.applied = 'placed';
    const own = plan.windows.find((p) => p.head === 0);
    const here = details.screens.indexOf(details.currentScreen);
    this.note = own && here >= 0 && own.monitor !== here ? `monitor mapping ${text}: move this window (head 1) to monitor ${own.monitor + 1}` : `monitor mapping ${text}`;
    const b = w.bounds;
    return `popup,left=${b.x},top=${b.y},width=${b.width},height=${b.height}`;
  }

  private notApplied(features: string, why: string): string {
    this.applied = 'not-applied';
    this.note = why;
    return features;
  }

  state(): object {
    return { headMapping: this.mapping, headMappingApplied: this.applied, headMappingNote: this.note };
  }
}
