// USB redirection for a page's session in the bridge host (serve): one UsbRedirector per session,
// its policy from the target's .vv keys and `serve`'s USB options; the VM's usbredir slots join it
// as they link, so the shared CD (--spice-share-cd) and redirect-on-connect devices go in as soon
// as a slot comes up. Auto-redirect waits for the page's USB panel (it needs to know the page has
// focus): until then it never fires here. The machine's devices (`usb`) are looked at only when a
// rule asks for them.
import type { SpiceChannel } from '../../protocol/channel/channel.ts';
import { UsbredirChannel } from '../../protocol/channels/usbredir/usbredir-channel.ts';
import type { Logger } from '../../protocol/logger.ts';
import type { ConnectionProfile } from '../../protocol/profile/index.ts';
import type { Session } from '../../protocol/session/session.ts';
import type { UsbDeviceSource } from '../usb/device-source.ts';
import { UsbPackageSource } from '../usb/usb-device-source.ts';
import { usbPolicyOf, usbWantedAtConnect, type UsbCommandLine } from '../usb/usb-policy.ts';
import { UsbRedirector } from '../usb/usb-redirector.ts';

export class PageUsb {
  private session: Session | null = null;
  /** The session's redirector, once a slot linked (null without USB slots or policy). */
  redirector: UsbRedirector | null = null;

  constructor(
    private readonly log: Logger,
    /** Tests give simulated devices here; by default the `usb` package. */
    private readonly hostSource: () => UsbDeviceSource = () => new UsbPackageSource(),
  ) {}

  /** The page's session now (null between sessions): the last one's devices leave the VM. */
  attach(session: Session | null): void {
    void this.redirector?.close();
    this.redirector = null;
    this.session = session;
  }

  /** A channel of the page's session linked: a usbredir slot joins the redirector. */
  channelLinked(session: Session, ch: SpiceChannel, profile: ConnectionProfile, line: UsbCommandLine | undefined): void {
    if (this.session !== session || !(ch instanceof UsbredirChannel)) return;
    if (!usbWantedAtConnect(line ?? {}, profile)) return;
    if (!this.redirector) {
      const policy = { ...usbPolicyOf(profile, line ?? {}), autoRedirect: false };
      const needsHost = policy.redirectOnConnect !== undefined;
      try {
        this.redirector = new UsbRedirector({ logger: this.log, policy, hostSource: needsHost ? this.hostSource() : undefined });
      } catch (e) {
        // The shared CD's file cannot be read: said once, the session goes on without it.
        this.log.warn({ err: String(e) }, `USB redirection is off for this session: ${e instanceof Error ? e.message : String(e)}`);
        return;
      }
      const r = this.redirector;
      r.events.on('notice', (m) => this.log.warn(m));
      r.events.on('refused', ({ refusal }) => this.log.warn(refusal.message));
      r.events.on('attached', ({ device, slot }) => this.log.info({ device: device.id, slot }, 'USB device redirected'));
    }
    void this.redirector.addSlot(ch);
  }
}
