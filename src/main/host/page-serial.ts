// The page's serial console in the bridge host: where the session's server offers QEMU's serial
// console port (org.qemu.console.serial.0, the SerialConsolePort handler), the page is told
// (SERIAL_STATE), gets the guest's output (SERIAL_DATA) and sends what the user types
// (SERIAL_INPUT). A shell on the guest's serial line is a way into the VM, so it goes with the VM
// menu: a session whose policy hides the menu (kiosk) offers no console and ignores input.
import type { HostMessage } from '../../protocol/bridge/bridge-messages.ts';
import { MAX_SERIAL_DATA_BYTES, type SerialInputMessage } from '../../protocol/bridge/serial-messages.ts';
import type { SpiceChannel } from '../../protocol/channel/channel.ts';
import { PortChannel } from '../../protocol/channels/port/port-channel.ts';
import { SerialConsolePort } from '../../protocol/channels/port/serial-console.ts';
import type { Logger } from '../../protocol/logger.ts';
import type { Session } from '../../protocol/session/session.ts';

export class PageSerial {
  private session: Session | null = null;
  private port: SerialConsolePort | null = null;
  private allowed = false;
  /** The last SERIAL_STATE sent: none until there is a console to show or hide. */
  private last = JSON.stringify({ kind: 'serial-state', available: false, open: false });
  /** Input refused while no console was there, counted for one log line each time it starts. */
  private refused = 0;

  constructor(
    private readonly send: (m: HostMessage) => void,
    private readonly log: Logger,
  ) {}

  /** Whether the page may have the console (the session policy's controls.vmMenu); applies from the next attach. */
  setAllowed(allowed: boolean): void {
    this.allowed = allowed;
  }

  attach(session: Session | null): void {
    this.session = session;
    this.port = null;
    this.report();
  }

  channelLinked(session: Session, ch: SpiceChannel): void {
    if (!(ch instanceof PortChannel)) return;
    ch.events.on('init', () => {
      const handler = ch.handler;
      if (this.session !== session || !(handler instanceof SerialConsolePort)) return;
      this.port = handler;
      const mine = (): boolean => this.session === session && this.port === handler;
      handler.events.on('open', () => {
        if (!mine()) return;
        // A handler that closes because its channel ended is no longer the channel's: it is gone.
        if (ch.handler !== handler) this.port = null;
        this.report();
      });
      handler.events.on('data', (bytes) => {
        if (!mine() || !this.allowed) return;
        for (let o = 0; o < bytes.byteLength; o += MAX_SERIAL_DATA_BYTES) this.send({ kind: 'serial-data', bytes: bytes.subarray(o, Math.min(bytes.byteLength, o + MAX_SERIAL_DATA_BYTES)) });
      });
      this.report();
    });
  }

  /** SERIAL_INPUT from the page. */
  handle(m: SerialInputMessage): void {
    const port = this.port;
    if (!this.allowed || !port?.isOpen) {
      if (this.refused++ === 0) this.log.warn({ bytes: m.bytes.byteLength }, this.allowed ? 'serial console input while the port is not open: dropped' : 'refusing serial console input: the session policy hides the VM menu');
      return;
    }
    this.refused = 0;
    port.write(m.bytes);
  }

  private report(): void {
    const available = this.allowed && this.port !== null;
    const m: HostMessage = { kind: 'serial-state', available, open: available && (this.port?.isOpen ?? false) };
    const key = JSON.stringify(m);
    if (key === this.last) return;
    this.last = key;
    this.send(m);
  }
}
