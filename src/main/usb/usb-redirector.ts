// USB redirection for one session: the VM's usbredir slots, where devices come from (the machine's
// own through `usb`, the shared CDs), and the policy remote-viewer has:
// - enable-usbredir (.vv) turns it all off; the sentence says so.
// - A device is offered on the first free slot (spice-gtk does the same), after the guest's filter
//   (every slot's filter; spice-gtk assumes all are channel 0's) let it in.
// - redirect-on-connect (.vv usb-redirect-on-connect, --spice-usbredir-redirect-on-connect): when a
//   slot says hello, the first present, not yet redirected device the rules allow goes there.
//   Shared CDs go in on connect always (spice-gtk does so only when some redirect-on-connect
//   filter is set; a CD the user named on the command line is meant to be in the VM).
// - auto-redirect (.vv enable-usb-autoshare with usb-filter, --spice-usbredir-auto-redirect-filter):
//   a device plugged while the session has focus goes in when the rules allow it. Default rules:
//   everything but HID (spice-gtk's default auto-connect filter).
// Every refusal is a UsbRefusal with its reason and its own sentence.
import { Emitter } from '../../protocol/emitter.ts';
import type { Logger } from '../../protocol/logger.ts';
import type { UsbredirChannel } from '../../protocol/channels/usbredir/usbredir-channel.ts';
import { checkUsbredirFilter, describeFilterVerdict, parseUsbredirFilter, type UsbredirFilterRule, type UsbredirFilterVerdict } from '../../protocol/usbredir/usbredir-filter.ts';
import type { UsbAttachStep } from '../../protocol/bridge/usb-messages.ts';
import type { UsbDeviceDescription, UsbDeviceSource } from './device-source.ts';
import { EmulatedUsbSource } from './emulated-device.ts';
import { HID_ID_PREFIX } from './hid-device-source.ts';
import { IsoCdrom } from './iso-cdrom.ts';
import { UsbDeviceBusyError } from './usb-device-source.ts';
import { UsbAttachError, UsbredirHost, type UsbDetachOutcome } from './usbredir-host.ts';

export type UsbRefusalReason =
  | 'disabled' | 'no-slots' | 'filter' | 'no-free-slot' | 'already-redirected' | 'busy' | 'not-found' | 'no-usb' | 'not-redirected';

export class UsbRefusal extends Error {
  readonly reason: UsbRefusalReason;
  constructor(reason: UsbRefusalReason, message: string) {
    super(message);
    this.name = 'UsbRefusal';
    this.reason = reason;
  }
}

/** spice-gtk's default auto-connect filter: every device but HID ones. */
export const DEFAULT_AUTO_REDIRECT_FILTER = '0x03,-1,-1,-1,0|-1,-1,-1,-1,1';

export interface UsbPolicy {
  /** enable-usbredir; default true. */
  enabled: boolean;
  /** enable-usb-autoshare: redirect devices plugged while the session has focus. */
  autoRedirect: boolean;
  /** usb-filter / --spice-usbredir-auto-redirect-filter (usbredirfilter rules). */
  autoRedirectFilter: string;
  /** usb-redirect-on-connect / --spice-usbredir-redirect-on-connect; undefined: none. */
  redirectOnConnect?: string;
  /** --spice-share-cd files. */
  sharedCds: readonly string[];
}

export const defaultUsbPolicy = (): UsbPolicy => ({ enabled: true, autoRedirect: false, autoRedirectFilter: DEFAULT_AUTO_REDIRECT_FILTER, sharedCds: [] });

/**
 * What `usb-attach` names: VID:PID, BUS-PORT (an id of any source, as the page sends), cd:FILE,
 * or a HID device through node-hid: hid:PATH (its id) or hid:VID:PID.
 */
export type UsbSelector =
  | { kind: 'ids'; vendorId: number; productId: number } | { kind: 'path'; id: string } | { kind: 'cd'; file: string }
  | { kind: 'hid-ids'; vendorId: number; productId: number };

const IDS = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i;

/** Reads a selector; null when it is none of the forms. */
export function parseUsbSelector(text: string): UsbSelector | null {
  if (text.startsWith('cd:') && text.length > 3) return { kind: 'cd', file: text.slice(3) };
  if (text.startsWith(HID_ID_PREFIX) && text.length > HID_ID_PREFIX.length) {
    const hidIds = IDS.exec(text.slice(HID_ID_PREFIX.length));
    if (hidIds) return { kind: 'hid-ids', vendorId: parseInt(hidIds[1], 16), productId: parseInt(hidIds[2], 16) };
    return { kind: 'path', id: text };
  }
  const ids = IDS.exec(text);
  if (ids) return { kind: 'ids', vendorId: parseInt(ids[1], 16), productId: parseInt(ids[2], 16) };
  if (/^\d{1,3}-\d{1,3}(\.\d{1,3})*$/.test(text)) return { kind: 'path', id: text };
  return null;
}

export const USB_SELECTOR_FORMS = 'VID:PID (hex, e.g. 0781:5583), BUS-PORT (e.g. 1-2.3), cd:FILE.iso, or a HID device through node-hid: hid:PATH (as usb list shows it) or hid:VID:PID';

/** True for a device of the node-hid source (its ids start with `hid:`). */
export const isNodeHidDevice = (d: UsbDeviceDescription): boolean => d.id.startsWith(HID_ID_PREFIX);

const hex4 = (n: number): string => n.toString(16).padStart(4, '0');

/** "Acme Pad (1234:5678)"; the manufacturer left out when the product name starts with it. */
export function deviceName(d: UsbDeviceDescription): string {
  const product = d.product ?? '';
  const name = (d.manufacturer && !product.startsWith(d.manufacturer) ? [d.manufacturer, product] : [product]).filter(Boolean).join(' ') || 'USB device';
  return `${name} (${hex4(d.vendorId)}:${hex4(d.productId)})`;
}

/** deviceName, and for a device of the node-hid source that it goes in as HID through node-hid. */
export function usbLabel(d: UsbDeviceDescription): string {
  return isNodeHidDevice(d) ? `${deviceName(d)}, HID through node-hid` : deviceName(d);
}

/** A filter's verdict for a description (interfaces as listed; a device not yet opened may list none). */
export function filterVerdict(rules: readonly UsbredirFilterRule[], d: UsbDeviceDescription): UsbredirFilterVerdict {
  return checkUsbredirFilter(rules, { ...d, interfaces: d.interfaces ?? [] });
}

export interface UsbDeviceEntry {
  description: UsbDeviceDescription;
  source: UsbDeviceSource;
  /** The slot it is redirected on, or null. */
  slot: string | null;
}

export type UsbRedirectorEvents = {
  attached: { device: UsbDeviceDescription; slot: string };
  detached: { device: UsbDeviceDescription; slot: string; error: Error | null };
  /** An automatic redirection (on connect, on plug) that did not happen, with its sentence. */
  refused: { device: UsbDeviceDescription; refusal: UsbRefusal };
  /** A one-time message for the user ("no USB on this machine"). */
  notice: string;
  /** A device on its way into a slot reached a step (opening ... configured; usb-messages.ts). */
  progress: { device: UsbDeviceDescription; step: UsbAttachStep };
  /** A source's devices changed (plugged, unplugged): lists shown to the user are stale. */
  changed: undefined;
};

export interface UsbRedirectorOptions {
  logger: Logger;
  policy: UsbPolicy;
  /** The machine's devices (UsbPackageSource); none: only shared CDs. */
  hostSource?: UsbDeviceSource;
  /**
   * HID devices the OS holds, through node-hid (HidDeviceSource). They go in only when asked
   * (attach): never on connect or on plug, since a keyboard or security key the user works
   * with on this machine must not slip into the VM by a broad rule.
   */
  hidSource?: UsbDeviceSource;
  /** Tests inject their simulated devices here; users never get one. */
  extraSources?: readonly UsbDeviceSource[];
  /** Whether the session has focus (auto-redirect only then); default: always. */
  focused?: () => boolean;
  /**
   * Closes a slot whose server did not confirm a detach and links it again (the session's
   * relinkChannel); true when it is back. Without it such a slot is only closed.
   */
  resetSlot?: (channel: UsbredirChannel) => Promise<boolean>;
}

/** What a detach did: the device, its slot, and how it ended (usbredir-host.ts). */
export interface UsbDetachResult {
  device: UsbDeviceDescription;
  slot: string;
  outcome: UsbDetachOutcome;
  /** After 'slot-reset': whether the slot was linked again. */
  slotBack: boolean;
}

/** The sentence for a detach, as `do usb-detach` and the page's USB_RESULT say it. */
export function detachSentence(r: UsbDetachResult): string {
  const name = deviceName(r.device);
  switch (r.outcome) {
    case 'acknowledged': case 'sent':
      return `${name} left the VM`;
    case 'slot-closed':
      return `${name} left the VM with its USB slot ${r.slot}, which closed`;
    case 'slot-reset':
      return `the VM did not confirm that ${name} left; its USB slot ${r.slot} was reset (closed${r.slotBack ? ' and linked again' : ''}), which takes the device out`;
  }
}

export class UsbRedirector {
  readonly events = new Emitter<UsbRedirectorEvents>();
  readonly slots: UsbredirChannel[] = [];
  /** The shared CDs (and cd: devices attached later). */
  readonly cds = new EmulatedUsbSource('shared CDs');
  private readonly sources: UsbDeviceSource[];
  private readonly hidSource: UsbDeviceSource | null;
  private readonly hosts = new Map<string, { host: UsbredirHost; source: UsbDeviceSource }>();
  /** Devices on their way into a slot: two slots coming up at once must not both take the same CD. */
  private readonly attaching = new Set<string>();
  /**
   * Devices the user took out (detach): a slot that links later (hot-added, or one reset after a
   * detach the VM did not confirm) must not put them back on connect. Attaching clears it.
   */
  private readonly detachedByUser = new Set<string>();
  /** Slots a device is on its way into (taken by the device only once the guest said hello to it). */
  private readonly claimed = new Set<UsbredirChannel>();
  private readonly log: Logger;
  private readonly policy: UsbPolicy;
  private readonly autoRules: UsbredirFilterRule[];
  private readonly onConnectRules: UsbredirFilterRule[] | null;
  private readonly focused: () => boolean;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly resetSlot: UsbRedirectorOptions['resetSlot'];

  constructor(o: UsbRedirectorOptions) {
    this.log = o.logger;
    this.resetSlot = o.resetSlot;
    this.policy = o.policy;
    this.autoRules = parseUsbredirFilter(o.policy.autoRedirectFilter);
    this.onConnectRules = o.policy.redirectOnConnect !== undefined ? parseUsbredirFilter(o.policy.redirectOnConnect) : null;
    this.focused = o.focused ?? (() => true);
    this.hidSource = o.hidSource ?? null;
    this.sources = [this.cds, ...(o.hostSource ? [o.hostSource] : []), ...(o.hidSource ? [o.hidSource] : []), ...(o.extraSources ?? [])];
    for (const file of o.policy.sharedCds) this.shareCd(file);
    for (const source of this.sources) {
      this.unsubscribe.push(source.events.on('added', (d) => {
        this.events.emit('changed', undefined);
        void this.plugged(source, d);
      }));
      this.unsubscribe.push(source.events.on('removed', (d) => {
        this.events.emit('changed', undefined);
        void this.unplugged(d);
      }));
      this.unsubscribe.push(source.events.on('unavailable', (m) => this.events.emit('notice', m)));
    }
  }

  /** Offers a file as a CD (not yet redirected); its id is `cd:<file>`. Throws with the file's problem. */
  shareCd(file: string): UsbDeviceDescription {
    const existing = this.cds.get(`cd:${file}`);
    if (existing) return existing.description;
    return this.cds.plug(new IsoCdrom(file, this.log));
  }

  /**
   * A slot linked: it takes part once the guest said hello; redirect-on-connect then. Resolves
   * when that is done (whatever came of it).
   */
  addSlot(channel: UsbredirChannel): Promise<void> {
    this.slots.push(channel);
    channel.events.on('closed', () => {
      const i = this.slots.indexOf(channel);
      if (i >= 0) this.slots.splice(i, 1);
    });
    return channel.whenHello().then(() => {
      if (channel.helloDone && channel.state !== 'closed') return this.redirectOnConnect(channel);
    }).catch((e: unknown) => this.log.warn({ err: String(e) }, 'redirect-on-connect failed'));
  }

  /** Every device of every source, with where it is redirected. */
  async devices(): Promise<UsbDeviceEntry[]> {
    const entries: UsbDeviceEntry[] = [];
    for (const source of this.sources) {
      for (const d of await source.list()) {
        entries.push({ description: d, source, slot: this.hosts.get(d.id)?.host.channel.name ?? null });
      }
    }
    return entries;
  }

  private async find(selector: UsbSelector): Promise<UsbDeviceEntry> {
    if (selector.kind === 'cd') {
      // Only the CDs: naming a file must not load the machine's USB.
      const d = this.shareCd(selector.file);
      return { description: d, source: this.cds, slot: this.hosts.get(d.id)?.host.channel.name ?? null };
    }
    const all = await this.devices();
    const match = all.find((e) => selector.kind === 'path' ? e.description.id === selector.id
      : e.description.vendorId === selector.vendorId && e.description.productId === selector.productId
        && (selector.kind === 'hid-ids') === (e.source === this.hidSource));
    if (match) return match;
    const hid = selector.kind === 'hid-ids' || (selector.kind === 'path' && selector.id.startsWith(HID_ID_PREFIX));
    const what = selector.kind === 'path' ? selector.id : `${hid ? HID_ID_PREFIX : ''}${hex4(selector.vendorId)}:${hex4(selector.productId)}`;
    if (hid && !this.hidSource) throw new UsbRefusal('not-found', `no HID device ${what}: HID devices through node-hid are not offered here`);
    if (hid && this.hidSource?.unavailableReason) throw new UsbRefusal('no-usb', `no HID device ${what}: ${this.hidSource.unavailableReason}`);
    if (hid) throw new UsbRefusal('not-found', `no HID device ${what} on this machine (spicedesk usb list shows them)`);
    const reasons = this.sources.filter((s) => s !== this.hidSource).map((s) => s.unavailableReason).filter(Boolean);
    if (reasons.length > 0) throw new UsbRefusal('no-usb', `no USB device ${what}: ${reasons.join('; ')}`);
    throw new UsbRefusal('not-found', `no USB device ${what} on this machine (spicedesk usb list shows them)`);
  }

  /** Why `d` cannot go into this VM now, or the free slot it goes to (`preferred` when that one is free). */
  private refusal(d: UsbDeviceDescription, preferred?: UsbredirChannel): UsbRefusal | { slot: UsbredirChannel } {
    const name = deviceName(d);
    if (!this.policy.enabled) return new UsbRefusal('disabled', `USB redirection is disabled for this connection (enable-usbredir=0 in the .vv file), so ${name} stays here`);
    const ready = this.slots.filter((s) => s.helloDone && s.state !== 'closed');
    if (ready.length === 0) return new UsbRefusal('no-slots', `the VM has no USB redirection slots (its QEMU needs -chardev spicevmc,name=usbredir with -device usb-redir; libvirt: <redirdev bus='usb' type='spicevmc'/>), so ${name} cannot go in`);
    if (this.hosts.has(d.id)) return new UsbRefusal('already-redirected', `${name} is already redirected (on ${this.hosts.get(d.id)!.host.channel.name})`);
    if (this.attaching.has(d.id)) return new UsbRefusal('already-redirected', `${name} is already on its way into the VM`);
    for (const s of ready) {
      const rules = s.guestFilter?.rules;
      if (!rules) continue;
      const verdict = filterVerdict(rules, d);
      if (verdict !== 'allowed') return new UsbRefusal('filter', `the VM's USB filter (${s.guestFilter!.text}) blocks ${name}: ${describeFilterVerdict(verdict)}`);
    }
    const isFree = (s: UsbredirChannel): boolean => s.device === null && !this.claimed.has(s);
    const free = preferred && ready.includes(preferred) && isFree(preferred) ? preferred : ready.find(isFree);
    if (!free) return new UsbRefusal('no-free-slot', `all ${ready.length} USB redirection slots of the VM are in use; detach a device first (spicedesk do TARGET usb-detach ...) to redirect ${name}`);
    return { slot: free };
  }

  /** Redirects the device: on the first free slot, once the guest's filter allowed it. */
  async attach(selector: UsbSelector): Promise<UsbredirHost> {
    const entry = await this.find(selector);
    return this.attachEntry(entry.source, entry.description);
  }

  private async attachEntry(source: UsbDeviceSource, d: UsbDeviceDescription, preferred?: UsbredirChannel): Promise<UsbredirHost> {
    const verdict = this.refusal(d, preferred);
    if (verdict instanceof UsbRefusal) throw verdict;
    this.detachedByUser.delete(d.id);
    this.attaching.add(d.id);
    this.claimed.add(verdict.slot);
    try {
      return await this.attachTo(verdict.slot, source, d);
    } finally {
      this.attaching.delete(d.id);
      this.claimed.delete(verdict.slot);
    }
  }

  private async attachTo(slot: UsbredirChannel, source: UsbDeviceSource, d: UsbDeviceDescription): Promise<UsbredirHost> {
    const step = (at: UsbAttachStep): void => this.events.emit('progress', { device: d, step: at });
    let handle;
    step('opening');
    try {
      handle = await source.open(d.id, () => step('claiming'));
    } catch (e) {
      if (e instanceof UsbDeviceBusyError) throw new UsbRefusal('busy', e.message);
      throw new UsbRefusal('busy', `cannot open ${deviceName(d)}: ${e instanceof Error ? e.message : String(e)}`);
    }
    let host: UsbredirHost;
    step('connecting');
    try {
      host = await UsbredirHost.attach(slot, handle, { logger: this.log, resetSlot: this.resetSlot });
    } catch (e) {
      if (e instanceof UsbAttachError) {
        const reason: UsbRefusalReason = e.reason === 'filter' ? 'filter' : e.reason === 'slot-busy' ? 'no-free-slot' : e.reason === 'slot-closed' ? 'no-slots' : 'busy';
        throw new UsbRefusal(reason, e.message);
      }
      throw e;
    }
    this.hosts.set(d.id, { host, source });
    host.events.on('disconnected', ({ error }) => {
      if (this.hosts.get(d.id)?.host === host) this.hosts.delete(d.id);
      this.events.emit('detached', { device: d, slot: slot.name, error });
    });
    this.events.emit('attached', { device: d, slot: slot.name });
    step('offered');
    host.events.on('configured', () => step('configured'));
    return host;
  }

  /** Takes the device out of the VM (settle, device_disconnect, the server's ack); says how that ended. */
  async detach(selector: UsbSelector): Promise<UsbDetachResult> {
    const entry = await this.find(selector).catch(() => null);
    const id = entry?.description.id ?? (selector.kind === 'cd' ? `cd:${selector.file}` : selector.kind === 'path' ? selector.id : null);
    const found = id ? this.hosts.get(id) : [...this.hosts.values()].find((h) => (selector.kind === 'ids' || selector.kind === 'hid-ids')
      && h.host.device.description.vendorId === selector.vendorId && h.host.device.description.productId === selector.productId
      && (selector.kind === 'hid-ids') === (h.source === this.hidSource));
    if (!found) {
      const what = entry ? deviceName(entry.description)
        : (id ?? (selector.kind === 'ids' || selector.kind === 'hid-ids' ? `${selector.kind === 'hid-ids' ? HID_ID_PREFIX : ''}${hex4(selector.vendorId)}:${hex4(selector.productId)}` : ''));
      throw new UsbRefusal('not-redirected', `${what} is not redirected to this VM; nothing to detach`);
    }
    this.detachedByUser.add(found.host.device.description.id);
    const outcome = await found.host.detach();
    return { device: found.host.device.description, slot: found.host.channel.name, outcome, slotBack: found.host.slotBack };
  }

  private async redirectOnConnect(channel: UsbredirChannel): Promise<void> {
    if (!this.policy.enabled || channel.device) return;
    const entries = await this.devices();
    const candidates = entries.filter((e) => e.slot === null && !this.attaching.has(e.description.id) && !this.detachedByUser.has(e.description.id)
      && e.source !== this.hidSource && (e.source === this.cds
      || (this.onConnectRules !== null && filterVerdict(this.onConnectRules, e.description) === 'allowed')));
    for (const e of candidates) {
      if (channel.device || this.claimed.has(channel) || channel.state === 'closed') return;
      try {
        // This slot's turn: the device goes on it (two slots that come up at once each take their own).
        await this.attachEntry(e.source, e.description, channel);
        return;
      } catch (err) {
        if (err instanceof UsbRefusal) this.events.emit('refused', { device: e.description, refusal: err });
        else this.log.warn({ err: String(err) }, 'redirect-on-connect failed');
      }
    }
  }

  private async plugged(source: UsbDeviceSource, d: UsbDeviceDescription): Promise<void> {
    if (!this.policy.autoRedirect || source === this.cds || source === this.hidSource || !this.focused()) return;
    if (filterVerdict(this.autoRules, d) !== 'allowed') return;
    try {
      await this.attachEntry(source, d);
    } catch (e) {
      if (e instanceof UsbRefusal) this.events.emit('refused', { device: d, refusal: e });
      else this.log.warn({ err: String(e) }, 'auto-redirect failed');
    }
  }

  private async unplugged(d: UsbDeviceDescription): Promise<void> {
    // The device is gone: its transfers fail; take it off its slot.
    await this.hosts.get(d.id)?.host.detach();
  }

  /** Detaches every device (the session ends). */
  async close(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    await Promise.all([...this.hosts.values()].map((h) => h.host.detach().catch(() => {})));
  }
}
