// The page's serial console in the bridge host: where the session's server offers QEMU's serial
// console port (org.qemu.console.serial.0, the SerialConsolePort handler), the page is told
// (SERIAL_STATE), gets the guest's output (SERIAL_DATA) and sends what the user types
// (SERIAL_INPUT). A shell on the guest's serial line is a way into the VM, so it goes with the VM
// menu: a session whose policy hides the menu (kiosk) offers no console and ignores input.
import type { HostMessage } from '../../protocol/bridge/bridge-messages.ts';
import { MAX_SERIAL_DATA_BYTES, type SerialInputMessage } from '../../protocol/bridge/serial-messages.ts';
import type { PortChannel } from '../../protocol/channels/port/port-channel.ts';
import { SerialConsolePort } from '../../protocol/channels/port/serial-console.ts';
import type { Logger } from '../../protocol/logger.ts';
import { PagePortPart } from './page-port-part.ts';

export class PageSerial extends PagePortPart<SerialConsolePort> {
  /** Input refused while no console was there, counted for one log line each time it starts. */
  private refused = 0;

  constructor(send: (m: HostMessage) => void, log: Logger) {
    // Nothing is said until there is a console to show or hide.
    super(send, log, SerialConsolePort, { kind: 'serial-state', available: false, open: false });
  }

  protected follow(ch: PortChannel, handler: SerialConsolePort, mine: () => boolean): void {
    handler.events.on('open', () => {
      if (!mine()) return;
      // A handler that closes because its channel ended is no longer the channel's: it is gone.
      if (ch.handler !== handler) this.handler = null;
      this.report();
    });
    handler.events.on('data', (bytes) => {
      if (!mine() || !this.allowed) return;
      for (let o = 0; o < bytes.byteLength; o += MAX_SERIAL_DATA_BYTES) this.send({ kind: 'serial-data', bytes: bytes.subarray(o, Math.min(bytes.byteLength, o + MAX_SERIAL_DATA_BYTES)) });
    });
  }

  /** SERIAL_INPUT from the page. */
  handle(m: SerialInputMessage): void {
    const port = this.handler;
    if (!this.allowed || !port?.isOpen) {
      if (this.refused++ === 0) this.log.warn({ bytes: m.bytes.byteLength }, this.allowed ? 'serial console input while the port is not open: dropped' : 'refusing serial console input: the session policy hides the VM menu');
      return;
    }
    this.refused = 0;
    port.write(m.bytes);
  }

  protected report(): void {
    const available = this.allowed && this.handler !== null;
    this.sendIfChanged({ kind: 'serial-state', available, open: available && (this.handler?.isOpen ?? false) });
  }
}
