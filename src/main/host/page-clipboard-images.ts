// Clipboard images between a page and the guest. Guest -> page: when the guest copies an image
// (and no text, which the text path takes), the host asks for the best type it offers, turns it
// into PNG (src/main/clipboard) and sends it whole. Page -> guest: the page's PNG arrives in parts
// (bridge messages are at most 1 MiB); once whole and checked, the guest's CLIPBOARD offers it.
// Both directions obey the sharing the host's policy and the page allow, at the moment they cross;
// a page's image is not even buffered while its direction is closed, and the images being received
// from all pages together stay within the host's budget (page-budget.ts).
import type { FileHostMessage } from '../../protocol/bridge/file-messages.ts';
import { FileLimits } from '../../protocol/bridge/file-messages.ts';
import { AgentCap, ClipboardSelection, ClipboardType } from '../../protocol/channels/main/agent/agent-messages.ts';
import type { Agent } from '../../protocol/channels/main/agent/agent.ts';
import { IMAGE_TYPES_BY_PREFERENCE, type ClipboardSharing } from '../../protocol/channels/main/agent/clipboard.ts';
import type { Logger } from '../../protocol/logger.ts';
import { guestImageToPng, pngSize } from '../clipboard/guest-image.ts';
import type { PageBudget } from './page-budget.ts';

/**
 * Collects a page's image parts, strictly in order; a part at offset 0 starts a new image. Holds
 * the bytes received, never the size the page claims; an image's claimed size is reserved in the
 * host's budget while it comes, so that pages together cannot hold more than the budget says.
 */
export class ImageParts {
  private chunks: Uint8Array[] = [];
  private total = 0;
  private filled = 0;
  private reserved = 0;

  constructor(private readonly budget?: PageBudget) {}

  /** The whole image when this part completes it; throws a sentence when the parts do not fit. */
  add(total: number, offset: number, data: Uint8Array): Uint8Array | null {
    if (offset === 0) {
      this.reset();
      if (total > FileLimits.maxClipboardImageBytes) throw new Error(`an image of ${total} bytes is larger than the ${FileLimits.maxClipboardImageBytes} allowed`);
      if (this.budget && !this.budget.reserveImage(total)) {
        throw new Error(`the host holds ${this.budget.imagesHeld} bytes of clipboard images from its pages already; an image of ${total} more does not fit`);
      }
      this.reserved = total;
      this.total = total;
    }
    if (this.reserved === 0 || this.total !== total || offset !== this.filled || offset + data.byteLength > total) {
      const filled = this.filled;
      this.reset();
      throw new Error(`an image part at offset ${offset} of ${total} bytes does not follow the ${filled} bytes received`);
    }
    // Copied: the message's buffer belongs to the transport.
    this.chunks.push(data.slice());
    this.filled += data.byteLength;
    if (this.filled < total) return null;
    const image = Buffer.concat(this.chunks, total);
    this.reset();
    return new Uint8Array(image.buffer, image.byteOffset, image.byteLength);
  }

  /** Drops an image under way, and its place in the budget. */
  reset(): void {
    this.budget?.releaseImage(this.reserved);
    this.reserved = 0;
    this.chunks = [];
    this.total = 0;
    this.filled = 0;
  }
}

export class PageClipboardImages {
  private agent: Agent | null = null;
  private readonly parts: ImageParts;
  readonly stats = { toPage: 0, toGuest: 0, failures: 0, refused: 0 };

  constructor(
    private readonly send: (m: FileHostMessage) => void,
    private readonly log: Logger,
    /** What may cross now: the host's policy and the page's choice together. */
    private readonly sharing: () => ClipboardSharing,
    budget?: PageBudget,
  ) {
    this.parts = new ImageParts(budget);
  }

  attach(agent: Agent): void {
    this.agent = agent;
    agent.clipboard.events.on('guest-grab', ({ selection, types }) => {
      if (this.agent !== agent || selection !== ClipboardSelection.CLIPBOARD || types.includes(ClipboardType.UTF8_TEXT)) return;
      if (IMAGE_TYPES_BY_PREFERENCE.some((t) => types.includes(t))) void this.fetchGuestImage(agent);
    });
  }

  detach(): void {
    this.agent = null;
    this.parts.reset();
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
    // Refused before a byte of it is kept: the page knows the policy (CLIPBOARD_POLICY) and should not send.
    if (!this.sharing().toGuest) {
      this.parts.reset();
      if (offset === 0) {
        this.stats.refused++;
        this.log.warn({ size: total }, 'clipboard image from the page refused: sharing to the guest is off');
      }
      return;
    }
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
