// Text between the page's clipboard and the guest's. Guest -> page: the host sends what the guest
// copied and the page writes it with the async clipboard API (a focused page in a secure
// context; loopback http counts as one). Page -> guest: the text of a paste event, or on focus
// the local clipboard when it changed while the page was elsewhere. Either direction can be off.
import { Limits } from '../protocol/bridge/bridge-messages.ts';

export interface ClipboardSharing {
  toGuest: boolean;
  fromGuest: boolean;
}

/** #clipboard=both (the default), to-guest, from-guest or off. */
export function sharingFromOption(value: string | null): ClipboardSharing {
  switch (value) {
    case 'off':
    case 'none':
      return { toGuest: false, fromGuest: false };
    case 'to-guest':
      return { toGuest: true, fromGuest: false };
    case 'from-guest':
      return { toGuest: false, fromGuest: true };
    default:
      return { toGuest: true, fromGuest: true };
  }
}

const utf8 = new TextEncoder();

export class ClipboardSync {
  /** The text both sides are known to hold, so that neither echoes the other's copy back. */
  private known: string | null = null;
  /** Guest text that could not be written yet (the page had no focus): written on focus. */
  private pendingWrite: string | null = null;
  readonly stats = { received: 0, sent: 0, writeErrors: 0, lastWriteError: '' };

  constructor(
    private sharing: ClipboardSharing,
    private readonly sendText: (text: string) => void,
    private active: () => boolean,
  ) {
    document.addEventListener('paste', (e) => {
      if (!this.sharing.toGuest) return;
      const text = e.clipboardData?.getData('text/plain');
      if (text) this.offer(text);
    });
    window.addEventListener('focus', () => void this.onFocus());
  }

  get currentSharing(): ClipboardSharing {
    return { ...this.sharing };
  }

  setSharing(sharing: ClipboardSharing): void {
    this.sharing = { ...sharing };
    if (!sharing.fromGuest) this.pendingWrite = null;
  }

  /** Text the guest copied. */
  async fromGuest(text: string): Promise<void> {
    if (!this.sharing.fromGuest) return;
    this.stats.received++;
    this.known = text;
    try {
      await navigator.clipboard.writeText(text);
      this.pendingWrite = null;
    } catch (e) {
      // Not focused, or not allowed: try again when the page gets the focus.
      this.pendingWrite = text;
      this.stats.writeErrors++;
      this.stats.lastWriteError = e instanceof Error ? e.message : String(e);
    }
  }

  private offer(text: string): void {
    if (!this.active() || text === this.known) return;
    if (utf8.encode(text).byteLength > Limits.maxClipboardTextBytes) {
      console.warn(`spicedesk: clipboard text over ${Limits.maxClipboardTextBytes} bytes is not shared with the guest`);
      return;
    }
    this.known = text;
    this.stats.sent++;
    this.sendText(text);
  }

  private async onFocus(): Promise<void> {
    if (this.pendingWrite !== null && this.sharing.fromGuest) {
      await this.fromGuest(this.pendingWrite);
      return;
    }
    if (!this.sharing.toGuest || !this.active()) return;
    try {
      const text = await navigator.clipboard.readText();
      if (text) this.offer(text);
    } catch {
      // Reading needs the clipboard-read permission; without it paste events still work.
    }
  }
}
