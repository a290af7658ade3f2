// A part of the page that follows one port handler of the page's session (the QEMU monitor for
// the VM menu, the serial console): found when a port channel's PORT_INIT names it, forgotten
// with its session, offered only where the session policy allows, and its state sent to the page
// only when it changed (the handlers report far more often than the page needs).
import type { HostMessage } from '../../protocol/bridge/bridge-messages.ts';
import type { SpiceChannel } from '../../protocol/channel/channel.ts';
import { PortChannel } from '../../protocol/channels/port/port-channel.ts';
import type { PortHandler } from '../../protocol/channels/port/port-handler.ts';
import type { Logger } from '../../protocol/logger.ts';
import type { Session } from '../../protocol/session/session.ts';

export abstract class PagePortPart<H extends PortHandler> {
  protected session: Session | null = null;
  /** The session's handler of this kind, once its port has said PORT_INIT. */
  protected handler: H | null = null;
  /** Whether the session policy lets the page have this part; applies from the next report. */
  protected allowed = false;
  private lastSent: string;

  constructor(
    protected readonly send: (m: HostMessage) => void,
    protected readonly log: Logger,
    private readonly kind: abstract new (...args: never[]) => H,
    /** What the page is taken to have been told before the first report (a state not to send). */
    initiallySent?: HostMessage,
  ) {
    this.lastSent = initiallySent ? JSON.stringify(initiallySent) : '';
  }

  setAllowed(allowed: boolean): void {
    this.allowed = allowed;
  }

  /** The page's session now (null between sessions): the part goes away until its port is there again. */
  attach(session: Session | null): void {
    this.session = session;
    this.handler = null;
    this.report();
  }

  /** A channel of the page's session linked: a port channel may turn out to carry this part's handler. */
  channelLinked(session: Session, ch: SpiceChannel): void {
    if (!(ch instanceof PortChannel)) return;
    ch.events.on('init', () => {
      const handler = ch.handler;
      if (this.session !== session || !(handler instanceof this.kind)) return;
      this.handler = handler;
      this.follow(ch, handler, () => this.session === session && this.handler === handler);
      this.report();
    });
  }

  /** Subscribes to the handler's events; `mine` says whether it is still this part's handler. */
  protected abstract follow(ch: PortChannel, handler: H, mine: () => boolean): void;

  /** Tells the page the part's state (through sendIfChanged). */
  protected abstract report(): void;

  protected sendIfChanged(m: HostMessage): void {
    const key = JSON.stringify(m);
    if (key === this.lastSent) return;
    this.lastSent = key;
    this.send(m);
  }
}
