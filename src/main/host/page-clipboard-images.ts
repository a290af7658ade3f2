// Clipboard images between a page and the guest. Guest -> page: when the guest copies an image
// (and no text, which the text path takes), the host asks for the best type it offers, turns it
// into PNG (src/main/clipboard) and sends it whole. Page -> guest: the page's PNG arrives in parts
// (bridge messages are at most 1 MiB); once whole and checked, the guest's CLIPBOARD offers it.
// Both directions obey the sharing the host's policy and the page allow, at the moment they cross.
import type { FileHostMessage } from '../../protocol/bridge/file-messages.ts';
import { FileLimits } from '../../protocol/bridge/file-messages.ts';
import { AgentCap, ClipboardSelection, ClipboardType } from '../../protocol/channels/main/agent/agent-messages.ts';
import type { Agent } from '../../protocol/channels/main/agent/agent.ts';
import { IMAGE_TYPES_BY_PREFERENCE, type ClipboardSharing } from '../../protocol/channels/main/agent/clipboard.ts';
import type { Logger } from '../../protocol/logger.ts';
import { guestImageToPng, pngSize } from '../clipboard/guest-image.ts';

/** Collects a page's image parts, strictly in order; a part at offset 0 starts a new image. */
export class ImageParts {
  private buffer: Uint8Array | null = null;
  private filled = 0;

  /** The whole image when this part completes it; throws a sentence when the parts do not fit. */
  add(total: number, offset: number, data: Uint8Array): Uint8Array | null {
    if (offset === 0) {
      this.buffer = new Uint8Array(total);
      this.filled = 0;
    }
    const buffer = this.buffer;
    if (!buffer || buffer.byteLength !== total || offset !== this.filled) {
      this.buffer = null;
      throw new Error(`an image part at offset ${offset} of ${total} bytes does not follow the ${this.filled} bytes received`);
    }
    buffer.set(data, offset);
    this.filled += data.byteLength;
    if (this.filled < total) return null;
    this.buffer = null;
    return buffer;
  }
}

export class PageClipboardImages {
  private agent: Agent | null = null;
  private readonly parts = new ImageParts();
  readonly stats = { toPage: 0, toGuest: 0, failures: 0 };

  constructor(
    private readonly send: (m: FileHostMessage) => void,
    private readonly log: Logger,
    /** What may cross now: the host's policy and the page's choice together. */
    private readonly sharing: () => ClipboardSharing,
  ) {}

  attach(agent: Agent): void {
    this.agent = agent;
    agent.clipboard.events.on('guest-grab', ({ selection, types }) => {
      if (this.agent !== agent || selection !== ClipboardSelection.CLIPBOARD || types.includes(ClipboardType.UTF8_TEXT)) return;
      if (IMAGE_TYPES_BY_PREFERENCE.some((t) => types.includes(t))) void this.fetchGuestImage(agent);
    });
  }

  detach(): void {
    this.agent = null;
  }

  private async fetchGuestImage(agent: Agent): Promise<void> {
    if (!this.sharing().fromGuest) return;
    let mime = 'image';
    try {
      const image = await agent.clipboard.requestImage(ClipboardSelection.CLIPBOARD);
      mime = image.mime;
      if (this.agent !== agent || !this.sharing().fromGuest) return;
      const png = guestImageToPng(image.type, image.data);
      if (png.byteLength > FileLimits.maxClipboardImageBytes) {
        this.log.warn({ size: png.byteLength, max: FileLimits.maxClipboardImageBytes }, 'the guest clipboard image is too large for the page, not shared');
        return;
      }
      this.stats.toPage++;
      this.log.debug({ from: mime, bytes: png.byteLength }, 'guest clipboard image sent to the page');
      this.send({ kind: 'clipboard-image', png });
    } catch (e) {
      this.stats.failures++;
      this.log.warn({ type: mime, error: (e as Error).message }, 'the guest clipboard image could not be shared');
    }
  }

  /** A part of the page's clipboard image. */
  pagePart(total: number, offset: number, data: Uint8Array): void {
    let png: Uint8Array | null;
    try {
      png = this.parts.add(total, offset, data);
    } catch (e) {
      this.log.warn({ error: (e as Error).message }, 'clipboard image from the page dropped');
      return;
    }
    if (!png) return;
    const agent = this.agent;
    if (!this.sharing().toGuest) {
      this.log.debug('clipboard image from the page dropped: sharing to the guest is off');
      return;
    }
    if (!agent?.connected || !agent.peerCaps?.has(AgentCap.CLIPBOARD_BY_DEMAND)) {
      this.log.debug('clipboard image from the page dropped: no guest agent shares the clipboard');
      return;
    }
    try {
      pngSize(png);
    } catch (e) {
      this.log.warn({ error: (e as Error).message }, 'clipboard image from the page dropped');
      return;
    }
    this.stats.toGuest++;
    agent.clipboard.setPng(png).catch((e: Error) => this.log.warn({ error: e.message }, 'the guest clipboard could not be given the image'));
  }
}
