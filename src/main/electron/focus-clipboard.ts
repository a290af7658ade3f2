// The local clipboard going to the guest from the Electron window. In a browser the page reads it
// on focus (src/renderer/clipboard-sync.ts); in the window main reads it instead, with Electron's
// clipboard, and the page gets no clipboard-read permission (window-policy.ts): what leaves the
// computer is decided here, where the page cannot change it.
//
// Read only while the window has the focus (its 'focus' event, or the agent appearing while it
// has it), and only when it would be used: `--clipboard` allows the guest direction, the page's
// own setting too, and the session's agent shares the clipboard (the host says so,
// BridgeHost.takesLocalClipboard). What the guest put there itself is not sent back.
//
// Plain code: tested without Electron, and through the fake Electron in electron-main-smoke.test.ts.
import type { HostMessage } from '../../protocol/bridge/bridge-messages.ts';
import { FileLimits } from '../../protocol/bridge/file-messages.ts';
import { Limits } from '../../protocol/bridge/limits.ts';
import type { ClipboardSharing } from '../../protocol/channels/main/agent/clipboard.ts';
import { parseClipboardPolicy } from '../clipboard/clipboard-option.ts';

/** Electron's clipboard as this module uses it (electron-main.ts gives the real one). */
export interface LocalClipboard {
  readText(): string;
  /** The image on the clipboard as PNG, with a test of whether it shows the same pixels as another PNG; null when it holds none. */
  readImage(): { png: Uint8Array; samePixels(png: Uint8Array): boolean } | null;
}

/** The window's session host as this module uses it (BridgeHost). */
export interface LocalClipboardHost {
  readonly takesLocalClipboard: boolean;
  localClipboard(c: { text: string } | { png: Uint8Array }): void;
}

const CLIPBOARD_SWITCH = '--clipboard';

/**
 * `--clipboard both|to-guest|from-guest|none` (or `--clipboard=...`) on the app's command line,
 * before `--`, as `spicedesk open` hands it over; absent is both. A wrong value is an error, not
 * a guess: a window that shares what it was told not to is worse than one that does not start.
 */
export function clipboardPolicyFromArgv(argv: readonly string[]): { policy: ClipboardSharing } | { error: string } {
  let value: string | undefined;
  const args = argv.slice(1);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') break;
    if (arg === CLIPBOARD_SWITCH) {
      value = args[++i];
      if (value === undefined) return { error: '--clipboard needs a value: both, to-guest, from-guest or none' };
    } else if (arg.startsWith(`${CLIPBOARD_SWITCH}=`)) value = arg.slice(CLIPBOARD_SWITCH.length + 1);
  }
  if (value === undefined) return { policy: { toGuest: true, fromGuest: true } };
  try {
    return { policy: parseClipboardPolicy(value) };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

const utf8 = new TextEncoder();

export class FocusClipboard {
  private focused = false;
  /** The text both sides are known to hold (the guest's last copy, or what was sent): not sent again. */
  private knownText: string | null = null;
  private knownImage: Uint8Array | null = null;
  private agentShares = false;
  readonly stats = { reads: 0, textsSent: 0, imagesSent: 0 };

  constructor(
    /** `--clipboard`: with toGuest off, nothing is ever read. */
    private readonly policy: ClipboardSharing,
    private readonly clipboard: LocalClipboard,
    /** The window's current session host; null before the page asked for its bridge. */
    private readonly host: () => LocalClipboardHost | null,
    private readonly warn: (line: string) => void = () => {},
  ) {}

  /** The window got the focus: the local clipboard goes to the guest if it may and changed. */
  focus(): void {
    this.focused = true;
    this.offer();
  }

  blur(): void {
    this.focused = false;
  }

  /** Every message the host sends the page: what the guest copied, and when its agent comes. */
  observe(m: HostMessage): void {
    switch (m.kind) {
      case 'clipboard-text':
        this.knownText = m.text;
        this.knownImage = null;
        return;
      case 'clipboard-image':
        this.knownImage = m.png;
        this.knownText = null;
        return;
      case 'agent': {
        // The agent came (or came back) while the window has the focus: no focus event will follow.
        const was = this.agentShares;
        this.agentShares = m.connected && m.clipboard;
        if (this.agentShares && !was) this.offer();
        return;
      }
      default:
        return;
    }
  }

  private offer(): void {
    if (!this.focused || !this.policy.toGuest) return;
    const host = this.host();
    if (!host || !host.takesLocalClipboard) return;
    this.stats.reads++;
    // Text first, as the guest's applications prefer it; an image when there is no text.
    const text = this.clipboard.readText();
    if (text !== '') {
      if (text === this.knownText) return;
      if (utf8.encode(text).byteLength > Limits.maxClipboardTextBytes) {
        this.warn(`clipboard text over ${Limits.maxClipboardTextBytes} bytes is not shared with the guest`);
        return;
      }
      this.knownText = text;
      this.knownImage = null;
      this.stats.textsSent++;
      host.localClipboard({ text });
      return;
    }
    const image = this.clipboard.readImage();
    if (!image) return;
    if (this.knownImage && image.samePixels(this.knownImage)) return;
    if (image.png.byteLength > FileLimits.maxClipboardImageBytes) {
      this.warn(`a clipboard image over ${FileLimits.maxClipboardImageBytes} bytes is not shared with the guest`);
      return;
    }
    this.knownImage = image.png;
    this.knownText = null;
    this.stats.imagesSent++;
    host.localClipboard({ png: image.png });
  }
}
