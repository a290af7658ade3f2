// USB redirection for a page's session in the bridge host: one UsbRedirector per session, its
// policy from the target's .vv keys and `serve`'s USB options; the VM's usbredir slots join it as
// they link, so the shared CD (--spice-share-cd) and redirect-on-connect devices go in as soon as a
// slot comes up. The page's "USB devices" panel gets USB_STATE (the host's devices, HID devices the
// OS holds through node-hid among them, labelled so; where each is,
// the slots) whenever that changes, and attaches or detaches by id (USB_ATTACH/USB_DETACH), each
// answered by USB_RESULT with the refusal's sentence; USB_PROGRESS follows each device on its way
// in (the page's own attaches and the automatic ones). Auto-redirect (enable-usb-autoshare with
// its filter) takes a device plugged while the page says it has focus (USB_FOCUS); one plugged
// while it has not waits in the panel, as remote-viewer does. Until the page says so, it has not.
import type { HostMessage } from '../../protocol/bridge/bridge-messages.ts';
import type { UsbAttachMessage } from '../../protocol/bridge/usb-messages.ts';
import type { SpiceChannel } from '../../protocol/channel/channel.ts';
import { UsbredirChannel } from '../../protocol/channels/usbredir/usbredir-channel.ts';
import type { Logger } from '../../protocol/logger.ts';
import type { ConnectionProfile } from '../../protocol/profile/index.ts';
import type { Session } from '../../protocol/session/session.ts';
import type { UsbDeviceSource } from '../usb/device-source.ts';
import { machineHidSource } from '../usb/hid-device-source.ts';
import { relinkUsbSlot } from '../monitors/relink.ts';
import { UsbPackageSource } from '../usb/usb-device-source.ts';
import { usbPolicyOf, type UsbCommandLine } from '../usb/usb-policy.ts';
import { detachSentence, deviceName, usbLabel, UsbRedirector, UsbRefusal, type UsbSelector } from '../usb/usb-redirector.ts';

export class PageUsb {
  private session: Session | null = null;
  /** The session's redirector, once a slot linked (null without USB slots). */
  redirector: UsbRedirector | null = null;
  private notice = '';
  private stateQueued = false;
  /** What the page last said (USB_FOCUS); a page that said nothing has no focus. */
  private focused = false;
  private readonly offs: (() => void)[] = [];

  /** Whether the page last said it has focus: what auto-redirect goes by for a device plugged now. */
  get pageFocused(): boolean {
    return this.focused;
  }

  constructor(
    private readonly send: (m: HostMessage) => void,
    private readonly log: Logger,
    /** Tests give simulated devices here; by default the `usb` package. */
    private readonly hostSource: () => UsbDeviceSource = () => new UsbPackageSource(),
    /** The OS-held HID devices; by default node-hid (tests give a fake of its API). */
    private readonly hidSource: () => UsbDeviceSource = machineHidSource,
  ) {}

  /** The page's session now (null between sessions): the last one's devices leave the VM. */
  attach(session: Session | null): void {
    for (const off of this.offs.splice(0)) off();
    void this.redirector?.close();
    this.redirector = null;
    this.session = session;
  }

  /** A channel of the page's session linked: a usbredir slot joins the redirector. */
  channelLinked(session: Session, ch: SpiceChannel, profile: ConnectionProfile, line: UsbCommandLine | undefined): void {
    if (this.session !== session || !(ch instanceof UsbredirChannel)) return;
    if (!this.redirector && !this.start(profile, line)) return;
    const r = this.redirector!;
    void r.addSlot(ch).then(() => this.queueState());
    ch.events.on('closed', () => this.queueState());
  }

  private start(profile: ConnectionProfile, line: UsbCommandLine | undefined): boolean {
    const policy = usbPolicyOf(profile, line ?? {});
    let r: UsbRedirector;
    try {
      const session = this.session;
      r = new UsbRedirector({
        logger: this.log, policy, hostSource: this.hostSource(), hidSource: this.hidSource(), focused: () => this.focused,
        resetSlot: async (channel) => (session ? relinkUsbSlot(session, channel, this.log) : channel.close().then(() => false)),
      });
    } catch (e) {
      // The shared CD's file cannot be read: said once, the session goes on without USB.
      this.log.warn({ err: String(e) }, `USB redirection is off for this session: ${e instanceof Error ? e.message : String(e)}`);
      return false;
    }
    this.redirector = r;
    this.offs.push(
      r.events.on('notice', (m) => {
        this.log.warn(m);
        this.notice = m;
        this.queueState();
      }),
      r.events.on('refused', ({ device, refusal }) => {
        // An automatic redirection that did not happen: the panel shows why.
        this.log.warn(refusal.message);
        this.send({ kind: 'usb-result', id: device.id, ok: false, message: refusal.message });
        this.queueState();
      }),
      r.events.on('progress', ({ device, step }) => this.send({ kind: 'usb-progress', id: device.id, step })),
      r.events.on('changed', () => this.queueState()),
      r.events.on('attached', ({ device, slot }) => {
        this.log.info({ device: device.id, slot }, 'USB device redirected');
        this.queueState();
      }),
      r.events.on('detached', () => this.queueState()),
    );
    return true;
  }

  /** The page's USB_FOCUS: devices plugged from now on are auto-redirected only while focused. */
  focusChanged(focused: boolean): void {
    if (focused !== this.focused) this.log.debug({ focused }, 'the page\'s focus changed (USB auto-redirect)');
    this.focused = focused;
  }

  /** USB_STATE once per turn, however many changes came in it. */
  private queueState(): void {
    if (this.stateQueued) return;
    this.stateQueued = true;
    queueMicrotask(() => {
      this.stateQueued = false;
      void this.sendState();
    });
  }

  private async sendState(): Promise<void> {
    const r = this.redirector;
    if (!r) return;
    const entries = await r.devices();
    if (this.redirector !== r) return;
    this.send({
      kind: 'usb-state',
      notice: this.notice,
      devices: entries.map((e) => ({ id: e.description.id, label: usbLabel(e.description), slot: e.slot ?? '' })),
      slots: r.slots.map((s) => {
        const on = entries.find((e) => e.slot === s.name);
        return { name: s.name, device: on ? deviceName(on.description) : '' };
      }),
    });
  }

  /** The page's USB_ATTACH or USB_DETACH: only a device of the host's own list. */
  async handle(m: UsbAttachMessage): Promise<void> {
    const r = this.redirector;
    if (!r) {
      this.send({ kind: 'usb-result', id: m.id, ok: false, message: 'this session has no USB redirection (the VM has no USB slots)' });
      return;
    }
    const selector: UsbSelector = { kind: 'path', id: m.id };
    try {
      if (m.kind === 'usb-attach') {
        const host = await r.attach(selector);
        this.send({ kind: 'usb-result', id: m.id, ok: true, message: `${deviceName(host.device.description)} is in the VM on ${host.channel.name}` });
      } else {
        const result = await r.detach(selector);
        this.send({ kind: 'usb-result', id: m.id, ok: true, message: detachSentence(result) });
      }
    } catch (e) {
      const message = e instanceof UsbRefusal ? e.message : `${m.kind === 'usb-attach' ? 'attaching' : 'detaching'} ${m.id} failed: ${e instanceof Error ? e.message : String(e)}`;
      this.send({ kind: 'usb-result', id: m.id, ok: false, message });
    }
    this.queueState();
  }
}
