// `spicedesk console TARGET`: the VM's serial console (the port org.qemu.console.serial.0) in the
// terminal, as remote-viewer's "Serial" tab. Only the main channel and the port channels are
// linked. What the guest writes goes to stdout as it came; what comes on stdin goes to the guest.
// On a terminal, stdin is put in raw mode (every key reaches the guest, Ctrl+C included) and
// Ctrl+] ends the command; otherwise the command runs until the session ends, stdin ends and
// --exit-on-eof was given, or it is interrupted (SIGINT, SIGTERM), which ends it cleanly (exit 0).
import { PortChannel } from '../../protocol/channels/port/port-channel.ts';
import { SERIAL_CONSOLE_PORT_NAME, SerialConsolePort } from '../../protocol/channels/port/serial-console.ts';
import { ChannelType } from '../../protocol/link/constants.ts';
import type { Logger } from '../../protocol/logger.ts';
import type { Session } from '../../protocol/session/session.ts';
import { SpiceError } from '../../protocol/wire/errors.ts';
import { openSession } from '../connect/open-session.ts';
import type { CaFile } from '../transport/tls-ca-file.ts';

/** Ctrl+]: telnet's escape, which no shell binds. */
const QUIT_BYTE = 0x1d;
const LOOK_EVERY_MS = 20;

export interface ConsoleOptions {
  target: string;
  timeoutMs: number;
  exitOnEof: boolean;
  logger: Logger;
  warn: (line: string) => void;
  caFile?: CaFile;
  memoryLimit?: number;
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  /** One line for the user (stderr). */
  note: (line: string) => void;
}

export async function runConsole(o: ConsoleOptions): Promise<void> {
  const { session, where, deadline } = await openSession({
    target: o.target,
    timeoutMs: o.timeoutMs,
    logger: o.logger,
    warn: o.warn,
    caFile: o.caFile,
    memoryLimit: o.memoryLimit,
    shouldLink: (c) => c.type === ChannelType.PORT,
  });
  try {
    const port = await deadline.race(findSerialPort(session, where), () => new SpiceError('timeout', `${where} named no serial console port within ${Math.round(o.timeoutMs / 1000)} s`));
    await pump(session, port, where, o);
  } finally {
    await session.close();
  }
}

async function findSerialPort(session: Session, where: string): Promise<SerialConsolePort> {
  const hint = `(QEMU: -chardev spiceport,name=${SERIAL_CONSOLE_PORT_NAME},id=serial -serial chardev:serial)`;
  if (!session.main.info.channels.some((c) => c.type === ChannelType.PORT)) throw new SpiceError('protocol', `${where} offers no port channels, so no serial console ${hint}`);
  for (;;) {
    const ports = [...session.channels.values()].filter((ch): ch is PortChannel => ch instanceof PortChannel && ch.type === ChannelType.PORT);
    const found = ports.find((ch) => ch.handler instanceof SerialConsolePort);
    if (found) return found.handler as SerialConsolePort;
    const listed = session.main.info.channels.filter((c) => c.type === ChannelType.PORT).length;
    const settled = [...session.status.entries()].filter(([k, s]) => k.startsWith(`${ChannelType.PORT}:`) && s.state !== 'linking').length;
    if (settled === listed && ports.every((ch) => ch.state !== 'ready' || ch.portName !== null)) {
      throw new SpiceError('protocol', `${where} has port channels but none is the serial console ${SERIAL_CONSOLE_PORT_NAME} ${hint}`);
    }
    await new Promise((resolve) => setTimeout(resolve, LOOK_EVERY_MS));
  }
}

/** Bytes both ways until the user quits, stdin ends (--exit-on-eof), a signal, or the session ends. */
function pump(session: Session, port: SerialConsolePort, where: string, o: ConsoleOptions): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const tty = Boolean(o.stdin.isTTY);
    const offs: (() => void)[] = [];
    const finish = (error?: Error): void => {
      for (const off of offs.splice(0)) off();
      if (tty) o.stdin.setRawMode(false);
      o.stdin.pause();
      if (error) reject(error);
      else resolve();
    };
    offs.push(port.events.on('data', (bytes) => void o.stdout.write(bytes)));
    offs.push(session.events.on('closed', ({ error }) => finish(error ?? new SpiceError('unreachable', `${where} ended the session`))));
    const onData = (chunk: Buffer): void => {
      const quit = tty ? chunk.indexOf(QUIT_BYTE) : -1;
      port.write(new Uint8Array(quit >= 0 ? chunk.subarray(0, quit) : chunk));
      if (quit >= 0) finish();
    };
    const onEnd = (): void => {
      if (o.exitOnEof) finish();
    };
    const onSignal = (): void => finish();
    o.stdin.on('data', onData);
    o.stdin.on('end', onEnd);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    offs.push(() => {
      o.stdin.off('data', onData);
      o.stdin.off('end', onEnd);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    });
    if (tty) o.stdin.setRawMode(true);
    o.stdin.resume();
    o.note(`console: ${SERIAL_CONSOLE_PORT_NAME} of ${where}${port.isOpen ? '' : ' (not open on the VM\'s side yet)'}${tty ? '; Ctrl+] quits' : ''}`);
  });
}
