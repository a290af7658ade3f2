// USB redirection for a `do` script: every usbredir slot of the VM linked and past its hello, one
// UsbRedirector with the connection's policy (.vv keys under the command line's options), the
// machine's devices through `usb` (loaded on first use), the HID devices the OS holds through
// node-hid (also loaded on first use; attached only when named, hid:...) and the shared CDs. The devices stay in
// the VM while the script's connection lasts; the session's end takes them out.
import { UsbredirChannel } from '../../../protocol/channels/usbredir/usbredir-channel.ts';
import { ChannelType } from '../../../protocol/link/constants.ts';
import type { Logger } from '../../../protocol/logger.ts';
import type { Session } from '../../../protocol/session/session.ts';
import { SpiceError } from '../../../protocol/wire/errors.ts';
import type { Deadline } from '../../node/deadline.ts';
import { withTimeout } from '../../node/with-timeout.ts';
import type { UsbDeviceSource } from '../../usb/device-source.ts';
import { machineHidSource } from '../../usb/hid-device-source.ts';
import { UsbPackageSource } from '../../usb/usb-device-source.ts';
import { UsbRedirector, type UsbPolicy } from '../../usb/usb-redirector.ts';
import { relinkUsbSlot } from '../../monitors/relink.ts';
import type { ScriptUsb } from './action.ts';

/** How often the wait for the slots looks again (they link in the background). */
const LOOK_EVERY_MS = 20;
/** How long the script's end waits for the guest to let its devices go. */
const END_LIMIT_MS = 3000;

export interface UsbAccessSettings {
  policy: UsbPolicy;
  logger: Logger;
  timeoutMs: number;
  progress: (line: string) => void;
  /** The machine's devices; default the `usb` package. Tests give simulated ones here. */
  hostSource?: () => UsbDeviceSource;
  /** The OS-held HID devices (usb-attach hid:...); default node-hid, loaded on first use. */
  hidSource?: () => UsbDeviceSource;
}

export class UsbAccess implements ScriptUsb {
  private started: Promise<UsbRedirector> | null = null;
  private ended = false;

  constructor(
    private readonly session: Session,
    private readonly where: string,
    private readonly deadline: Deadline,
    private readonly settings: UsbAccessSettings,
  ) {}

  progress(line: string): void {
    this.settings.progress(line);
  }

  bounded<T>(p: Promise<T>, what: string): Promise<T> {
    return withTimeout(p, this.settings.timeoutMs, () => new SpiceError('timeout', `${this.where}: no ${what} within ${Math.round(this.settings.timeoutMs / 1000)} s`));
  }

  /**
   * The script is over: every device leaves the VM cleanly (device_disconnect and the guest's ack,
   * kernel drivers attached again) before the session closes, and no line is printed for it.
   */
  async end(): Promise<void> {
    this.ended = true;
    const redirector = await this.started?.catch(() => null);
    if (!redirector) return;
    await withTimeout(redirector.close(), END_LIMIT_MS, () => new Error('timeout')).catch(() => {});
  }

  /** The redirector once every listed slot linked (or failed) and said hello. */
  redirector(): Promise<UsbRedirector> {
    this.started ??= this.start();
    return this.started;
  }

  private async start(): Promise<UsbRedirector> {
    const s = this.settings;
    const redirector = new UsbRedirector({
      logger: s.logger, policy: s.policy,
      hostSource: (s.hostSource ?? (() => new UsbPackageSource()))(), hidSource: (s.hidSource ?? machineHidSource)(),
      resetSlot: (channel) => relinkUsbSlot(this.session, channel, s.logger),
    });
    redirector.events.on('notice', (m) => s.progress(`usb: ${m}`));
    redirector.events.on('refused', ({ refusal }) => s.progress(`usb: ${refusal.message}`));
    redirector.events.on('attached', ({ device, slot }) => s.logger.info({ device: device.id, slot }, 'USB device redirected'));
    redirector.events.on('detached', ({ device, error }) => {
      // The script's end closes the slots: not worth a line.
      if (error && !this.ended) s.progress(`usb: ${device.product ?? device.id} left the VM: ${error.message}`);
    });
    const listed = this.session.main.info.channels.filter((c) => c.type === ChannelType.USBREDIR);
    const wait = { over: false };
    const slots = await this.deadline.race(this.slotsReady(listed.map((c) => `${c.type}:${c.id}`), wait),
      () => new SpiceError('timeout', `${this.where} did not link its USB slots in time`)).finally(() => (wait.over = true));
    // One after the other, so that redirect-on-connect fills the slots in order.
    for (const slot of slots) await redirector.addSlot(slot);
    this.session.events.on('channel-linked', (c) => {
      if (c instanceof UsbredirChannel && !redirector.slots.includes(c)) void redirector.addSlot(c);
    });
    this.session.events.on('closed', () => {
      this.ended = true;
      void redirector.close();
    });
    return redirector;
  }

  private async slotsReady(keys: string[], wait: { over: boolean }): Promise<UsbredirChannel[]> {
    while (!wait.over) {
      const channels = keys.map((k) => ({ status: this.session.status.get(k), channel: this.session.channels.get(k) }));
      const pending = channels.filter(({ status, channel }) => status?.state === 'linking' || status === undefined
        || (status.state === 'linked' && channel instanceof UsbredirChannel && !channel.helloDone && channel.state !== 'closed'));
      if (pending.length === 0) return channels.map((c) => c.channel).filter((c): c is UsbredirChannel => c instanceof UsbredirChannel && c.helloDone);
      await new Promise((resolve) => setTimeout(resolve, LOOK_EVERY_MS));
    }
    return [];
  }
}
