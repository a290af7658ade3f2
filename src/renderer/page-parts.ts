// The parts of the session page (page.ts) and how they plug in. The page itself holds what every
// window needs: the bridge, the display, the keyboard and mouse, the cursor, the status line and
// the guest head it shows. Everything else is a part: it says when it applies (from what the page
// knows when it loads) and what it mounts, and the mounted part sees the host's messages, the
// bridge's end, the page's hotkeys and its test state. A new panel is one file with its PagePart
// and a line in page-part-table.ts.
//
// This file touches no DOM (the parts' mount functions do), so the table's choices can be tested
// without a browser.
import type { HostMessage, UiMessage } from '../protocol/bridge/bridge-messages.ts';
import type { PreloadContract } from '../protocol/bridge/preload-contract.ts';
import type { StatusLine } from './status-line.ts';
import type { WorkerSoundLink } from './display-view.ts';

/** What the page knows when it loads, before the host says anything. */
export interface PageContext {
  /** The URL's # options (target=, head=, join=, mouse=, resize=, clipboard=, renderer=, present=, videopath=, opus=). */
  readonly options: URLSearchParams;
  /** A guest head's window (#head=N&join=TOKEN), which joins head 1's session instead of starting one. */
  readonly headWindow: boolean;
  /** In the Electron app (the preload's window.spicedeskHost), not a browser. */
  readonly electron: boolean;
}

export function pageContext(options: URLSearchParams, electron: boolean): PageContext {
  return { options, headWindow: options.has('join'), electron };
}

/** What a part gets from the page when it mounts. */
export interface PageServices {
  readonly context: PageContext;
  /** The screen; keyboard focus goes back to it after a dialog or a control. */
  readonly canvas: HTMLCanvasElement;
  byId<T extends HTMLElement>(id: string): T;
  /** To the host over the bridge (dropped while there is none). */
  send(m: UiMessage): void;
  readonly status: StatusLine;
  /** The pointer, for release-cursor. */
  readonly mouse: { readonly locked: boolean; releasePointer(): void };
  /** The view moved or was scaled (the cursor image follows it). */
  viewChanged(): void;
  /** Ends the current bridge, if any, and opens a new one (a new session). */
  reconnect(): void;
  /** The screen's pixels as RGBA rows, top row first; null when nothing is shown. */
  readPixels(): Promise<{ width: number; height: number; rgba: Uint8Array } | null>;
  /** The preload's API in the Electron app; null in a browser. */
  readonly electron: PreloadContract | null;
  /**
   * The multimedia time audible now (the sound's clock, audio-part.ts): the video is shown by it
   * while sound plays, instead of by the host's MEDIA_TIME; null when the sound stopped.
   */
  audioClock(mmNow: number | null): void;
  /** The decode worker, where the bridge runs in it: the guest's playback is handled there (audio/worker-playback.ts); null with #bridge=page. */
  readonly soundWorker: WorkerSoundLink | null;
}

/** A mounted part's hooks; each is optional. */
export interface MountedPart {
  /**
   * A host message, before the page's own handling. True when it is this part's alone: the parts
   * after it and the page do not see it. Parts that only watch a message (status) return false.
   */
  onHostMessage?(m: HostMessage): boolean;
  /** The bridge closed; the status line already says so (`statusText`). */
  onBridgeClosed?(statusText: string): void;
  /** A key-down on the screen; true when it was this part's hotkey (the guest does not get it). */
  hotkey?(e: KeyboardEvent): boolean;
  /** The part's fields of window.spicedeskPage.state(), for tests and screenshots. */
  state?(): object;
  /** The part's functions on window.spicedeskPage, for tests (test/e2e/page-api.ts types them). */
  testHooks?(): Record<string, (...args: never[]) => unknown>;
}

export interface PagePart<Page = PageServices> {
  /** Says what the part is, in tests and errors. */
  readonly name: string;
  applies(context: PageContext): boolean;
  mount(page: Page): MountedPart;
}

/** The parts of a table that apply to a page, in table order. */
export function partsFor<Page>(table: readonly PagePart<Page>[], context: PageContext): PagePart<Page>[] {
  return table.filter((part) => part.applies(context));
}

/** The page's mounted parts, asked in table order. */
export class MountedParts {
  private constructor(private readonly parts: readonly { name: string; hooks: MountedPart }[]) {}

  static mount<Page>(table: readonly PagePart<Page>[], context: PageContext, page: Page): MountedParts {
    return new MountedParts(partsFor(table, context).map((part) => ({ name: part.name, hooks: part.mount(page) })));
  }

  get names(): string[] {
    return this.parts.map((p) => p.name);
  }

  /** True when a part took the message for itself. */
  onHostMessage(m: HostMessage): boolean {
    return this.parts.some((p) => p.hooks.onHostMessage?.(m) === true);
  }

  onBridgeClosed(statusText: string): void {
    for (const p of this.parts) p.hooks.onBridgeClosed?.(statusText);
  }

  hotkey(e: KeyboardEvent): boolean {
    return this.parts.some((p) => p.hooks.hotkey?.(e) === true);
  }

  state(): object {
    return Object.assign({}, ...this.parts.map((p) => p.hooks.state?.() ?? {})) as object;
  }

  testHooks(): Record<string, (...args: never[]) => unknown> {
    return Object.assign({}, ...this.parts.map((p) => p.hooks.testHooks?.() ?? {})) as Record<string, (...args: never[]) => unknown>;
  }
}
