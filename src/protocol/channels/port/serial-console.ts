// The VM's serial console on the port org.qemu.console.serial.0 (QEMU: a spiceport chardev as a
// -serial device; remote-viewer shows it as a terminal tab). The bytes are the guest's terminal
// both ways, with no framing: whoever shows the terminal (`spicedesk console`) listens to `data`
// and writes what the user types. Nothing is kept while no one listens, as on a real serial line.
import { Emitter } from '../../emitter.ts';
import type { PortHandler, PortIo } from './port-handler.ts';

export const SERIAL_CONSOLE_PORT_NAME = 'org.qemu.console.serial.0';

export type SerialConsoleEvents = {
  /** Bytes from the guest's serial port. */
  data: Uint8Array;
  /** The port opened or closed on QEMU's side. */
  open: boolean;
};

export class SerialConsolePort implements PortHandler {
  readonly events = new Emitter<SerialConsoleEvents>();
  /** Whether QEMU's side has the port open (a serial chardev is open from the start). */
  isOpen = false;

  constructor(private readonly io: PortIo) {}

  describe(): string {
    return 'the VM\'s serial console (spicedesk console)';
  }

  opened(): void {
    if (this.isOpen) return;
    this.isOpen = true;
    this.events.emit('open', true);
  }

  closed(): void {
    if (!this.isOpen) return;
    this.isOpen = false;
    this.events.emit('open', false);
  }

  data(bytes: Uint8Array): void {
    this.events.emit('data', bytes.slice());
  }

  dispose(): void {
    this.closed();
  }

  /** What the user typed, to the guest's serial port. */
  write(bytes: Uint8Array): void {
    if (bytes.byteLength) this.io.write(bytes);
  }
}
