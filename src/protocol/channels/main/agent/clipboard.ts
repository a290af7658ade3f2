// The shared clipboard through the agent. Either side "grabs" a selection, announcing the types
// it can give; the other side asks for one type with a REQUEST and gets CLIPBOARD data back;
// RELEASE gives the selection up. Selections other than CLIPBOARD need the agent's
// CLIPBOARD_SELECTION capability, and with CLIPBOARD_GRAB_SERIAL both sides count grabs per
// selection so that a grab crossing one from the other side is recognised and dropped.
import { Emitter } from '../../../emitter.ts';
import { SpiceError } from '../../../wire/errors.ts';
import {
  AgentCap,
  AgentMsg,
  buildClipboardData,
  buildClipboardGrab,
  buildClipboardRelease,
  buildClipboardRequest,
  ClipboardSelection,
  ClipboardType,
  parseClipboardData,
  parseClipboardGrab,
  parseClipboardRelease,
  parseClipboardRequest,
  type ClipboardLayout,
} from './agent-messages.ts';
import type { AgentLink } from './agent-transport.ts';

/** spice-gtk's default limit for clipboard contents in either direction. */
export const DEFAULT_MAX_CLIPBOARD = 100 * 1024 * 1024;

/** Image types in the order the client prefers them when the guest offers several. */
export const IMAGE_TYPES_BY_PREFERENCE = [ClipboardType.IMAGE_PNG, ClipboardType.IMAGE_BMP, ClipboardType.IMAGE_JPG, ClipboardType.IMAGE_TIFF] as const;

export const clipboardMimeTypes: Record<number, string> = {
  [ClipboardType.UTF8_TEXT]: 'text/plain;charset=utf-8',
  [ClipboardType.IMAGE_PNG]: 'image/png',
  [ClipboardType.IMAGE_BMP]: 'image/bmp',
  [ClipboardType.IMAGE_TIFF]: 'image/tiff',
  [ClipboardType.IMAGE_JPG]: 'image/jpeg',
};

const selectionNames = ['CLIPBOARD', 'PRIMARY', 'SECONDARY'];

export function selectionName(selection: number): string {
  return selectionNames[selection] ?? `selection ${selection}`;
}

/** Whether contents may cross in each direction; a kiosk profile may turn either off. */
export interface ClipboardSharing {
  toGuest: boolean;
  fromGuest: boolean;
}

export type ClipboardEvents = {
  /** The guest owns `selection` now and offers these types. */
  'guest-grab': { selection: number; types: number[] };
  /** The guest gave `selection` up. */
  'guest-release': { selection: number };
  /** The guest asked for something the client offered; `served` false when it got nothing. */
  'guest-request': { selection: number; type: number; served: boolean };
};

/** Local contents offered to the guest: by type, computed when the guest asks. */
export type ClipboardProvider = (type: number) => Uint8Array | null | Promise<Uint8Array | null>;

interface PendingRequest {
  type: number;
  resolve: (data: Uint8Array) => void;
  reject: (e: Error) => void;
}

/** LF for the guest, or CRLF when it said its line ends are CRLF. */
export function textForGuest(text: string, guestCrlf: boolean): Uint8Array {
  const lf = text.replace(/\r\n/g, '\n');
  return new TextEncoder().encode(guestCrlf ? lf.replace(/\n/g, '\r\n') : lf);
}

/** UTF-8 from the guest with CRLF turned into LF (for a CRLF guest) and trailing NULs dropped. */
export function textFromGuest(data: Uint8Array, guestCrlf: boolean): string {
  let end = data.byteLength;
  while (end > 0 && data[end - 1] === 0) end--;
  const text = new TextDecoder('utf-8').decode(data.subarray(0, end));
  return guestCrlf ? text.replace(/\r\n/g, '\n') : text;
}

export class AgentClipboard {
  readonly events = new Emitter<ClipboardEvents>();
  /** The largest contents sent or accepted, in bytes; -1 for no limit. */
  maxClipboard = DEFAULT_MAX_CLIPBOARD;
  private sharing: ClipboardSharing = { toGuest: true, fromGuest: true };
  private readonly serials = [0, 0, 0];
  private readonly guestOffers = new Map<number, number[]>();
  private readonly ownProviders = new Map<number, { types: number[]; provide: ClipboardProvider }>();
  private readonly pending = new Map<number, PendingRequest[]>();

  constructor(private readonly link: AgentLink) {}

  private has(cap: number): boolean {
    return this.link.peerCaps?.has(cap) ?? false;
  }

  private get layout(): ClipboardLayout {
    return { selection: this.has(AgentCap.CLIPBOARD_SELECTION), serial: this.has(AgentCap.CLIPBOARD_GRAB_SERIAL) };
  }

  /** The guest wants CRLF line ends in text. */
  get guestCrlf(): boolean {
    return this.has(AgentCap.GUEST_LINEEND_CRLF);
  }

  /** Selections this agent can exchange: CLIPBOARD always, PRIMARY and SECONDARY with the cap. */
  supportsSelection(selection: number): boolean {
    return selection === ClipboardSelection.CLIPBOARD || (selection <= ClipboardSelection.SECONDARY && this.has(AgentCap.CLIPBOARD_SELECTION));
  }

  /** What the guest offers on `selection`, or null when it does not own it. */
  guestTypes(selection = ClipboardSelection.CLIPBOARD): number[] | null {
    return this.guestOffers.get(selection) ?? null;
  }

  get currentSharing(): ClipboardSharing {
    return { ...this.sharing };
  }

  /** Applies at once: a direction turned off drops what crossed that way and what is pending. */
  setSharing(sharing: ClipboardSharing): void {
    const before = this.sharing;
    this.sharing = { ...sharing };
    if (before.toGuest && !sharing.toGuest) {
      for (const selection of [...this.ownProviders.keys()]) this.release(selection);
    }
    if (before.fromGuest && !sharing.fromGuest) {
      for (const selection of [...this.guestOffers.keys()]) this.forgetGuest(selection, 'clipboard sharing from the guest was turned off');
    }
  }

  private usable(what: string, selection: number): void {
    if (!this.link.connected || !this.link.peerCaps) throw new SpiceError('protocol', `${what}: no guest agent is connected`);
    if (!this.has(AgentCap.CLIPBOARD_BY_DEMAND)) throw new SpiceError('protocol', `${what}: the guest agent does not share its clipboard`);
    if (!this.supportsSelection(selection)) throw new SpiceError('usage', `${what}: the guest agent has no ${selectionName(selection)} selection`);
  }

  /**
   * Takes `selection` in the guest: the guest's applications paste from `provide`, asked for one
   * of `types` at the time they paste.
   */
  async grab(selection: number, types: number[], provide: ClipboardProvider): Promise<void> {
    this.usable('clipboard grab', selection);
    if (!this.sharing.toGuest) throw new SpiceError('usage', 'clipboard sharing to the guest is turned off');
    this.ownProviders.set(selection, { types: [...types], provide });
    const layout = this.layout;
    const serial = layout.serial ? this.serials[selection]++ : undefined;
    await this.link.send(AgentMsg.CLIPBOARD_GRAB, buildClipboardGrab(layout, { selection, serial, types }));
  }

  /** Offers text (line ends converted for the guest when it asks). */
  setText(text: string, selection: number = ClipboardSelection.CLIPBOARD): Promise<void> {
    return this.grab(selection, [ClipboardType.UTF8_TEXT], () => textForGuest(text, this.guestCrlf));
  }

  /** Offers a PNG image. */
  setPng(png: Uint8Array, selection: number = ClipboardSelection.CLIPBOARD): Promise<void> {
    return this.grab(selection, [ClipboardType.IMAGE_PNG], () => png);
  }

  /** Gives up a selection the client holds in the guest. */
  release(selection: number = ClipboardSelection.CLIPBOARD): void {
    if (!this.ownProviders.delete(selection)) return;
    if (!this.link.connected || !this.has(AgentCap.CLIPBOARD_BY_DEMAND) || !this.supportsSelection(selection)) return;
    this.link.send(AgentMsg.CLIPBOARD_RELEASE, buildClipboardRelease(this.layout, selection)).catch(() => {});
  }

  /**
   * Asks the guest for its contents of `selection` as `type`. `unannounced` asks even though the
   * guest announced nothing: spice-vdagent grabs only when the owner in the guest changes, so a
   * client that connects later never hears of contents copied before, yet the agent serves them.
   */
  request(type: number, selection: number = ClipboardSelection.CLIPBOARD, options: { unannounced?: boolean } = {}): Promise<Uint8Array> {
    this.usable('clipboard request', selection);
    if (!this.sharing.fromGuest) return Promise.reject(new SpiceError('usage', 'clipboard sharing from the guest is turned off'));
    const offered = this.guestOffers.get(selection) ?? (options.unannounced ? [type] : undefined);
    if (!offered) return Promise.reject(new SpiceError('protocol', `the guest's ${selectionName(selection)} is empty (no application in the guest owns it)`));
    if (!offered.includes(type)) {
      return Promise.reject(new SpiceError('protocol', `the guest's ${selectionName(selection)} holds no ${clipboardMimeTypes[type] ?? `type ${type}`}`));
    }
    return new Promise<Uint8Array>((resolve, reject) => {
      const list = this.pending.get(selection) ?? [];
      list.push({ type, resolve, reject });
      this.pending.set(selection, list);
      this.link.send(AgentMsg.CLIPBOARD_REQUEST, buildClipboardRequest(this.layout, { selection, type })).catch((e: Error) => this.failPending(selection, e.message));
    });
  }

  /** The guest's text, with its line ends made LF. */
  async requestText(selection: number = ClipboardSelection.CLIPBOARD, options: { unannounced?: boolean } = {}): Promise<string> {
    return textFromGuest(await this.request(ClipboardType.UTF8_TEXT, selection, options), this.guestCrlf);
  }

  /** The guest's image in the best type it offers (PNG first), with that type. */
  async requestImage(selection: number = ClipboardSelection.CLIPBOARD): Promise<{ type: number; mime: string; data: Uint8Array }> {
    const offered = this.guestOffers.get(selection) ?? [];
    const type = IMAGE_TYPES_BY_PREFERENCE.find((t) => offered.includes(t)) ?? ClipboardType.IMAGE_PNG;
    const data = await this.request(type, selection);
    return { type, mime: clipboardMimeTypes[type], data };
  }

  private failPending(selection: number, why: string): void {
    const list = this.pending.get(selection) ?? [];
    this.pending.delete(selection);
    for (const p of list) p.reject(new SpiceError('protocol', `the guest's ${selectionName(selection)} could not be read: ${why}`));
  }

  private forgetGuest(selection: number, why: string): void {
    this.guestOffers.delete(selection);
    this.failPending(selection, why);
  }

  /** State of a previous agent connection: serials restart at 0 and nothing is owned. */
  reset(why: string): void {
    this.serials.fill(0);
    this.ownProviders.clear();
    for (const selection of [...this.guestOffers.keys(), ...this.pending.keys()]) this.forgetGuest(selection, why);
  }

  handleGrab(body: Uint8Array): void {
    const grab = parseClipboardGrab(body, this.layout);
    const { selection } = grab;
    if (selection > ClipboardSelection.SECONDARY) {
      this.link.log.warn({ selection }, 'ignoring a clipboard grab for an unknown selection');
      return;
    }
    if (grab.serial !== undefined) {
      // Equal serials mean no grab from this side crossed it; otherwise the newer one wins.
      if (grab.serial !== this.serials[selection]) {
        this.link.log.debug({ selection, serial: grab.serial, expected: this.serials[selection] }, 'dropping a clipboard grab that crossed ours');
        return;
      }
      this.serials[selection]++;
    }
    this.ownProviders.delete(selection);
    if (!this.sharing.fromGuest) return;
    this.failPending(selection, 'the guest put new contents there');
    this.guestOffers.set(selection, grab.types);
    this.events.emit('guest-grab', { selection, types: grab.types });
  }

  handleRelease(body: Uint8Array): void {
    const { selection } = parseClipboardRelease(body, this.layout);
    if (!this.guestOffers.has(selection)) return;
    this.forgetGuest(selection, 'the guest emptied it');
    this.events.emit('guest-release', { selection });
  }

  handleData(body: Uint8Array): void {
    const { selection, type, data } = parseClipboardData(body, this.layout);
    const list = this.pending.get(selection) ?? [];
    const index = list.findIndex((p) => p.type === type);
    // An agent that cannot convert answers with type NONE: the oldest request gets nothing.
    const at = index >= 0 ? index : type === ClipboardType.NONE && list.length > 0 ? 0 : -1;
    if (at < 0) {
      this.link.log.warn({ selection, type, size: data.byteLength }, 'clipboard data from the guest that nobody asked for was dropped');
      return;
    }
    const [p] = list.splice(at, 1);
    if (list.length === 0) this.pending.delete(selection);
    if (type === ClipboardType.NONE || (data.byteLength === 0 && p.type !== ClipboardType.UTF8_TEXT)) {
      p.reject(new SpiceError('protocol', `the guest could not give its ${selectionName(selection)} as ${clipboardMimeTypes[p.type] ?? `type ${p.type}`}`));
      return;
    }
    p.resolve(data.slice());
  }

  handleRequest(body: Uint8Array): void {
    const { selection, type } = parseClipboardRequest(body, this.layout);
    void this.answer(selection, type);
  }

  private async answer(selection: number, type: number): Promise<void> {
    const own = this.ownProviders.get(selection);
    let data: Uint8Array | null = null;
    if (own && this.sharing.toGuest && own.types.includes(type)) {
      try {
        data = await own.provide(type);
      } catch (e) {
        this.link.log.warn({ selection, type, error: (e as Error).message }, 'the local clipboard could not give its contents');
      }
      if (data && this.maxClipboard >= 0 && data.byteLength > this.maxClipboard) {
        this.link.log.warn({ size: data.byteLength, max: this.maxClipboard }, 'clipboard contents larger than the limit were not sent to the guest');
        data = null;
      }
    }
    // The guest waits for an answer either way; empty data tells it there is nothing.
    const reply = buildClipboardData(this.layout, { selection, type, data: data ?? new Uint8Array(0) });
    this.events.emit('guest-request', { selection, type, served: data !== null });
    if (!this.link.connected) return;
    await this.link.send(AgentMsg.CLIPBOARD, reply).catch(() => {});
  }
}
