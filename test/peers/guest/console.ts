// The host side of the guest's serial ports (the guest side is init.ts). QEMU serves each port as
// a Unix socket chardev; the console one also logs everything the guest wrote to a file, from
// boot on, even before this side connects.
// - Console (ttyS0): one command at a time, `<id> <base64 of the command>\n` in; back come
//   `SPICEDESK-BEGIN:<id>\n`, the output, `\nSPICEDESK-END:<id>:<status>\n`. The port is raw
//   and does not echo, so the markers appear only when the guest prints them.
// - Files (ttyS1): raw bytes both ways, sized by a command on the console.
import { existsSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { waitFor } from '../../helpers/wait.ts';
import { BEGIN_MARKER, END_MARKER } from './init.ts';

export interface GuestCommandResult {
  /** What the command wrote on stdout and stderr (interleaved as the guest wrote them). */
  output: string;
  /** Its exit status. */
  status: number;
}

const CONSOLE_BUFFER_LIMIT = 16 * 1024 * 1024;

/** A Unix socket of QEMU's, connected once it exists (QEMU creates it while starting). */
export async function connectChardev(path: string, what: string, timeoutMs = 10_000): Promise<Socket> {
  return waitFor(`the guest's ${what} socket ${path}`, () => (existsSync(path) ? new Promise<Socket | undefined>((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => resolve(socket));
    socket.once('error', () => resolve(undefined));
  }) : undefined), timeoutMs, { pollMs: 50 });
}

/** POSIX shell single quoting: the guest's sh sees exactly `text`. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

export class GuestConsole {
  /** Everything received and not yet consumed by a command, as latin1 (one char per byte). */
  private received = '';
  private readonly listeners = new Set<() => void>();
  private queue: Promise<unknown> = Promise.resolve();
  private nextId = 1;
  private readonly session = Math.random().toString(36).slice(2, 8);
  private closed = false;

  constructor(private readonly socket: Socket, private readonly logFile: string) {
    socket.on('data', (chunk: Buffer) => {
      this.received = (this.received + chunk.toString('latin1')).slice(-CONSOLE_BUFFER_LIMIT);
      for (const listener of [...this.listeners]) listener();
    });
    socket.on('close', () => {
      this.closed = true;
      for (const listener of [...this.listeners]) listener();
    });
    socket.on('error', () => { /* 'close' follows */ });
  }

  /** What the guest wrote on its console since boot (kernel messages, init, command output). */
  serialLog(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }

  serialTail(chars = 3000): string {
    return this.serialLog().slice(-chars);
  }

  /** Waits (on arriving data, not by polling) until `match` finds what it needs in the received text. */
  private waitForText<T>(what: string, match: (text: string) => T | undefined, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const found = match(this.received);
        if (found !== undefined) {
          finish();
          resolve(found);
        } else if (this.closed) {
          finish();
          reject(new Error(`the guest's console closed while waiting for ${what}; serial log tail:\n${this.serialTail()}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; serial log tail:\n${this.serialTail()}`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  /**
   * Runs one shell command in the guest and returns its output and exit status. Commands queue:
   * one runs at a time. On a timeout the command may still be running in the guest, and the next
   * command starts after it.
   */
  run(command: string, timeoutMs: number): Promise<GuestCommandResult> {
    const result = this.queue.then(() => this.runNow(command, timeoutMs));
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Sends a command and does not wait for it (poweroff: the guest never answers). */
  send(command: string): void {
    const id = `${this.session}-${this.nextId++}`;
    this.queue = this.queue.then(() => { this.socket.write(`${id} ${Buffer.from(command, 'utf8').toString('base64')}\n`); });
  }

  private async runNow(command: string, timeoutMs: number): Promise<GuestCommandResult> {
    const id = `${this.session}-${this.nextId++}`;
    const begin = `${BEGIN_MARKER}${id}\n`;
    const endPattern = new RegExp(`\\n${END_MARKER}${id}:(\\d+)\\n`);
    this.socket.write(`${id} ${Buffer.from(command, 'utf8').toString('base64')}\n`);
    const { output, status, consumed } = await this.waitForText(`the end of \`${command}\``, (text) => {
      const start = text.indexOf(begin);
      if (start < 0) return undefined;
      const end = endPattern.exec(text.slice(start + begin.length));
      if (!end) return undefined;
      const outputEnd = start + begin.length + end.index;
      return {
        output: Buffer.from(text.slice(start + begin.length, outputEnd), 'latin1').toString('utf8'),
        status: Number(end[1]),
        consumed: outputEnd + end[0].length,
      };
    }, timeoutMs);
    this.received = this.received.slice(consumed);
    return { output, status };
  }

  close(): void {
    this.socket.destroy();
  }
}

/** The raw second serial port (ttyS1): bytes from the guest accumulate until taken. */
export class GuestFilePort {
  private chunks: Buffer[] = [];
  private length = 0;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.length += chunk.length;
      for (const listener of [...this.listeners]) listener();
    });
    socket.on('error', () => { /* the console reports a dead guest */ });
  }

  /** Forgets bytes nobody asked for (a previous transfer cut short). */
  discard(): void {
    this.chunks = [];
    this.length = 0;
  }

  /** The next `size` bytes from the guest, once they have all arrived. */
  take(size: number, timeoutMs: number, explain: () => string): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (this.length < size) return;
        finish();
        const all = Buffer.concat(this.chunks);
        this.chunks = [all.subarray(size)];
        this.length = all.length - size;
        resolve(all.subarray(0, size));
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out after ${timeoutMs} ms with ${this.length} of ${size} bytes from the guest's file port; ${explain()}`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  write(data: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(data, (error) => (error ? reject(error) : resolve())));
  }

  close(): void {
    this.socket.destroy();
  }
}
