// The page's side of the session policy (src/protocol/policy/kiosk-policy.ts, sent by the host as
// PAGE_POLICY): its hotkeys, its controls (none in kiosk mode), and what it shows when the session
// is lost or ends. In kiosk mode with --kiosk-quit never, a reconnect screen covers the page while
// the host reconnects by itself and once it has given up; its button (or Enter) starts a new
// bridge, and so a new session, with the password asked again when the target has none.
import type { HostMessage, SessionStatus, UiMessage } from '../protocol/bridge/bridge-messages.ts';
import { NOT_KIOSK, sessionPolicy } from '../protocol/policy/kiosk-policy.ts';
import { pagePolicyMessage, type PagePolicyMessage } from '../protocol/bridge/policy-messages.ts';
import { PageHotkeys, PageZoom } from './hotkeys-page.ts';
import type { PagePart } from './page-parts.ts';

export interface KioskPageOptions {
  send(m: UiMessage): void;
  canvas: HTMLCanvasElement;
  byId<T extends HTMLElement>(id: string): T;
  /** The pointer, for release-cursor. */
  mouse: { readonly locked: boolean; releasePointer(): void };
  /** The view moved or was scaled (the cursor image follows it). */
  viewChanged(): void;
  /** Ends the current bridge, if any, and opens a new one (a new session). */
  reconnect(): void;
}

const NOTICE_MS = 4000;

export class KioskPage {
  /** Until the host says otherwise: a window without kiosk mode, with the default hotkeys. */
  policy: PagePolicyMessage = pagePolicyMessage(sessionPolicy({ flags: NOT_KIOSK }));
  readonly hotkeys: PageHotkeys;
  readonly zoom: PageZoom;
  private readonly screen: HTMLElement;
  private readonly screenTitle: HTMLElement;
  private readonly screenReason: HTMLElement;
  private readonly screenButton: HTMLButtonElement;
  private readonly noticeBox: HTMLElement;
  private noticeTimer: ReturnType<typeof setTimeout> | null = null;
  /** New bridges the user started from the reconnect screen. */
  reconnects = 0;
  lastNotice = '';

  constructor(private readonly o: KioskPageOptions) {
    this.zoom = new PageZoom(o.canvas, o.byId('view'), o.viewChanged);
    this.hotkeys = new PageHotkeys(
      {
        releaseCursor: () => {
          if (o.mouse.locked) o.mouse.releasePointer();
        },
        ctrlAltDel: () => o.send({ kind: 'ctrl-alt-del' }),
        notice: (text) => this.notice(text),
      },
      this.zoom,
    );
    this.hotkeys.set(this.policy.hotkeys);
    // Built here rather than in index.html: only this module shows or reads them.
    this.screen = element('div', 'kiosk-screen');
    this.screen.setAttribute('role', 'alertdialog');
    this.screen.hidden = true;
    this.screenTitle = element('h2', 'kiosk-screen-title');
    this.screenReason = element('p', 'kiosk-screen-reason');
    this.screenButton = element('button', 'kiosk-reconnect') as HTMLButtonElement;
    this.screenButton.type = 'button';
    this.screenButton.addEventListener('click', () => this.startOver());
    this.screen.append(this.screenTitle, this.screenReason, this.screenButton);
    this.noticeBox = element('div', 'kiosk-notice');
    this.noticeBox.setAttribute('role', 'status');
    this.noticeBox.hidden = true;
    document.body.append(this.screen, this.noticeBox);
  }

  /** Takes PAGE_POLICY; watches the status for the reconnect screen. False for the others' messages. */
  onHostMessage(m: HostMessage): boolean {
    if (m.kind === 'page-policy') {
      this.apply(m);
      return true;
    }
    if (m.kind === 'status') this.onStatus(m.status);
    return false;
  }

  /** A key-down of the screen; true when it was the page's hotkey. */
  hotkey(e: KeyboardEvent): boolean {
    return this.hotkeys.take(e);
  }

  /** The bridge closed: the session is over. */
  onBridgeClosed(statusText: string): void {
    if (this.policy.onSessionEnd === 'reconnect-screen') this.showScreen('The session ended', statusText, 'Reconnect');
    // A browser page cannot quit: it says that the session is over, with nothing to click.
    else if (this.policy.onSessionEnd === 'quit' && this.policy.kiosk) this.showScreen('The session ended', statusText, null);
  }

  private apply(p: PagePolicyMessage): void {
    this.policy = p;
    this.hotkeys.set(p.hotkeys);
    document.body.classList.toggle('kiosk', p.kiosk);
    const show = (id: string, on: boolean): void => {
      this.o.byId(id).hidden = !on;
    };
    show('bar', p.controls.bar);
    show('cad', p.controls.ctrlAltDelButton);
    show('resize-label', p.controls.resizeToggle);
  }

  private onStatus(s: SessionStatus): void {
    if (s.state === 'connected') {
      this.hideScreen();
      return;
    }
    if (s.state === 'reconnecting' && this.policy.onSessionEnd === 'reconnect-screen') {
      const when = s.delayMs > 0 ? `next attempt in ${Math.ceil(s.delayMs / 1000)} s` : 'connecting now';
      this.showScreen('Connection lost', `${s.reason}. Reconnecting by itself (attempt ${s.attempt}, ${when}).`, 'Reconnect now');
    }
  }

  private showScreen(title: string, reason: string, button: string | null): void {
    this.screenTitle.textContent = title;
    this.screenReason.textContent = reason;
    this.screenButton.hidden = button === null;
    this.screenButton.textContent = button ?? '';
    this.screen.hidden = false;
    // Keys go to the button (Enter starts over), not to a guest that is not there; a dialog
    // (the password) keeps its focus.
    const focused = document.activeElement;
    if (button !== null && (focused === null || focused === document.body || focused === this.o.canvas)) this.screenButton.focus();
  }

  private hideScreen(): void {
    if (this.screen.hidden) return;
    this.screen.hidden = true;
    this.o.canvas.focus();
  }

  private startOver(): void {
    this.reconnects++;
    this.showScreen('Reconnecting', 'Starting a new session…', null);
    this.o.reconnect();
  }

  private notice(text: string): void {
    this.lastNotice = text;
    this.noticeBox.textContent = text;
    this.noticeBox.hidden = false;
    if (this.noticeTimer !== null) clearTimeout(this.noticeTimer);
    this.noticeTimer = setTimeout(() => {
      this.noticeBox.hidden = true;
      this.noticeTimer = null;
    }, NOTICE_MS);
  }

  /** For the page's test hooks. */
  state(): object {
    return {
      kiosk: this.policy.kiosk,
      onSessionEnd: this.policy.onSessionEnd,
      hotkeys: this.hotkeys.active,
      hotkeysRun: [...this.hotkeys.ran],
      zoom: this.zoom.percent,
      reconnectScreen: this.screen.hidden ? null : { title: this.screenTitle.textContent, reason: this.screenReason.textContent, button: this.screenButton.hidden ? null : this.screenButton.textContent },
      reconnects: this.reconnects,
      notice: this.lastNotice,
    };
  }
}

/**
 * Every window mounts it: kiosk mode is the host's policy (PAGE_POLICY), known only once the
 * bridge is up, and the page's hotkeys are the policy's in any mode. Last in the table, so that
 * when the bridge closes the other parts have closed their dialogs before its screen takes focus.
 */
export const kioskPart: PagePart = {
  name: 'kiosk',
  applies: () => true,
  mount(page) {
    const kiosk = new KioskPage(page);
    return {
      onHostMessage: (m) => kiosk.onHostMessage(m),
      onBridgeClosed: (statusText) => kiosk.onBridgeClosed(statusText),
      hotkey: (e) => kiosk.hotkey(e),
      state: () => kiosk.state(),
    };
  },
};

function element(tag: string, id: string): HTMLElement {
  const e = document.createElement(tag);
  e.id = id;
  return e;
}
