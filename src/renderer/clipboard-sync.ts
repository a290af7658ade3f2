// Text and images between the page's clipboard and the guest's. Guest -> page: the host sends
// what the guest copied (images already made PNG) and the page writes it with the async clipboard
// API (a focused page in a secure context; loopback http counts as one). Page -> guest: the text
// or image of a paste event, or on focus the local clipboard when it changed while the page was
// elsewhere (in a browser: in the Electron window main reads it, src/main/electron/focus-clipboard.ts,
// and the page has no permission to). Either direction can be off: by the page's setting, within
// the host's policy.
import { Limits } from '../protocol/bridge/limits.ts';
import { FileLimits } from '../protocol/bridge/file-messages.ts';

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

function sameBytes(a: Uint8Array | null, b: Uint8Array): boolean {
  if (!a || a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Any image blob as PNG bytes (a pasted JPEG is redrawn), or null when the browser cannot. */
async function pngOf(blob: Blob): Promise<Uint8Array | null> {
  if (blob.type === 'image/png') return new Uint8Array(await blob.arrayBuffer());
  try {
    const bitmap = await createImageBitmap(blob);
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    canvas.getContext('2d')?.drawImage(bitmap, 0, 0);
    bitmap.close();
    return new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer());
  } catch {
    return null;
  }
}

export class ClipboardSync {
  /** The text both sides are known to hold, so that neither echoes the other's copy back. */
  private known: string | null = null;
  /** Guest text that could not be written yet (the page had no focus): written on focus. */
  private pendingWrite: string | null = null;
  /** The image both sides are known to hold, and a guest image not written yet. */
  private knownImage: Uint8Array | null = null;
  /** The guest's image as the browser gives it back after writing it (re-encoded): not offered back. */
  private knownReadBack: Uint8Array | null = null;
  private pendingImage: Uint8Array | null = null;
  /** What the host allows (its --clipboard); `wanted` is the page's own setting. */
  private policy: ClipboardSharing = { toGuest: true, fromGuest: true };
  private wanted: ClipboardSharing;
  /** `focusReads`: how often the page read the local clipboard on focus (never in the Electron window). */
  readonly stats = { received: 0, sent: 0, writeErrors: 0, lastWriteError: '', imagesReceived: 0, imagesSent: 0, imagesFromHost: 0, focusReads: 0 };

  constructor(
    private sharing: ClipboardSharing,
    private readonly sendText: (text: string) => void,
    private active: () => boolean,
    /** Sends a PNG to the host (in parts: see sendImageParts). */
    private readonly sendImage: (png: Uint8Array) => void = () => {},
    /** False in the Electron window, whose main process reads the local clipboard on focus instead. */
    private readonly readsOnFocus = true,
  ) {
    this.wanted = { ...sharing };
    document.addEventListener('paste', (e) => {
      if (!this.sharing.toGuest) return;
      const text = e.clipboardData?.getData('text/plain');
      if (text) {
        this.offer(text);
        return;
      }
      const image = [...(e.clipboardData?.files ?? [])].find((f) => f.type.startsWith('image/'));
      if (image) void pngOf(image).then((png) => png && this.offerImage(png));
    });
    window.addEventListener('focus', () => void this.onFocus());
  }

  get currentSharing(): ClipboardSharing {
    return { ...this.sharing };
  }

  get hostPolicy(): ClipboardSharing {
    return { ...this.policy };
  }

  /** The page's own setting; what applies is it within the host's policy. */
  setSharing(sharing: ClipboardSharing): void {
    this.wanted = { ...sharing };
    this.sharing = { toGuest: sharing.toGuest && this.policy.toGuest, fromGuest: sharing.fromGuest && this.policy.fromGuest };
    if (!this.sharing.fromGuest) {
      this.pendingWrite = null;
      this.pendingImage = null;
    }
    this.showSetting();
  }

  /** The host's policy, which the page's setting cannot exceed. */
  setPolicy(policy: ClipboardSharing): void {
    this.policy = { ...policy };
    this.setSharing(this.wanted);
  }

  /** An image the guest copied, as PNG. */
  async imageFromGuest(png: Uint8Array): Promise<void> {
    this.stats.imagesFromHost++;
    if (!this.sharing.fromGuest) return;
    this.stats.imagesReceived++;
    this.knownImage = png;
    try {
      await navigator.clipboard.write([new ClipboardItem({ 'image/png': new Blob([png as BlobPart], { type: 'image/png' }) })]);
      this.pendingImage = null;
      this.knownReadBack = await this.readImage().catch(() => null);
    } catch (e) {
      this.pendingImage = png;
      this.pendingWrite = null;
      this.stats.writeErrors++;
      this.stats.lastWriteError = e instanceof Error ? e.message : String(e);
    }
  }

  private async readImage(): Promise<Uint8Array | null> {
    const item = (await navigator.clipboard.read()).find((i) => i.types.includes('image/png'));
    return item ? new Uint8Array(await (await item.getType('image/png')).arrayBuffer()) : null;
  }

  /**
   * Wires the page's clipboard setting (a select of both, to-guest, from-guest, none): choices the
   * host's policy forbids are disabled; `changed` tells the host.
   */
  bindSelect(select: HTMLSelectElement, changed: (sharing: ClipboardSharing) => void): void {
    this.select = select;
    this.showSetting();
    select.addEventListener('change', () => {
      this.setSharing(sharingFromOption(select.value));
      changed(this.currentSharing);
    });
  }

  private select: HTMLSelectElement | null = null;

  private showSetting(): void {
    const select = this.select;
    if (!select) return;
    const value = (s: ClipboardSharing): string => (s.toGuest ? (s.fromGuest ? 'both' : 'to-guest') : s.fromGuest ? 'from-guest' : 'none');
    for (const option of select.options) {
      const s = sharingFromOption(option.value);
      option.disabled = (s.toGuest && !this.policy.toGuest) || (s.fromGuest && !this.policy.fromGuest);
    }
    select.value = value(this.sharing);
    select.title = this.policy.toGuest && this.policy.fromGuest ? 'Clipboard sharing with the guest' : `Clipboard sharing with the guest (limited by the host to ${value(this.policy)})`;
  }

  private offerImage(png: Uint8Array): void {
    if (!this.active() || !this.sharing.toGuest || sameBytes(this.knownImage, png) || sameBytes(this.knownReadBack, png)) return;
    if (png.byteLength > FileLimits.maxClipboardImageBytes) {
      console.warn(`spicedesk: a clipboard image over ${FileLimits.maxClipboardImageBytes} bytes is not shared with the guest`);
      return;
    }
    this.knownImage = png;
    this.stats.imagesSent++;
    this.sendImage(png);
  }

  /** Text the guest copied. */
  async fromGuest(text: string): Promise<void> {
    if (!this.sharing.fromGuest) return;
    this.stats.received++;
    this.known = text;
    this.knownImage = null;
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
    this.knownImage = null;
    if (utf8.encode(text).byteLength > Limits.maxClipboardTextBytes) {
      console.warn(`spicedesk: clipboard text over ${Limits.maxClipboardTextBytes} bytes is not shared with the guest`);
      return;
    }
    this.known = text;
    this.stats.sent++;
    this.sendText(text);
  }

  private async onFocus(): Promise<void> {
    if (this.pendingImage !== null && this.sharing.fromGuest) {
      await this.imageFromGuest(this.pendingImage);
      return;
    }
    if (this.pendingWrite !== null && this.sharing.fromGuest) {
      await this.fromGuest(this.pendingWrite);
      return;
    }
    if (!this.readsOnFocus || !this.sharing.toGuest || !this.active()) return;
    this.stats.focusReads++;
    try {
      // Text first, as the guest's applications prefer it; an image when there is no text.
      const items = await navigator.clipboard.read();
      const withText = items.find((i) => i.types.includes('text/plain'));
      if (withText) {
        const text = await (await withText.getType('text/plain')).text();
        if (text) this.offer(text);
        return;
      }
      const withImage = items.find((i) => i.types.includes('image/png'));
      if (withImage) this.offerImage(new Uint8Array(await (await withImage.getType('image/png')).arrayBuffer()));
    } catch {
      // Reading needs the clipboard-read permission; without it paste events still work.
    }
  }
}

/** A PNG as CLIPBOARD_IMAGE parts (a bridge message from the page is at most 1 MiB). */
export function imageParts(png: Uint8Array): { kind: 'clipboard-image'; total: number; offset: number; data: Uint8Array }[] {
  const parts = [];
  for (let offset = 0; offset < png.byteLength; offset += FileLimits.maxImagePartBytes) {
    parts.push({ kind: 'clipboard-image' as const, total: png.byteLength, offset, data: png.subarray(offset, offset + FileLimits.maxImagePartBytes) });
  }
  return parts;
}
