// QEMU as a SPICE server with every channel type and no guest OS: the BIOS draws on the QXL
// screen, which is enough for main, display, inputs and cursor; audio, USB redirection, WebDAV and
// the agent port are devices added on demand. `-nic none` always: no traffic leaves the machine.
// With `guest`, the same QEMU boots a Linux kernel and initramfs instead (test/peers/guest.ts).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.ts';
import { spawnGroup } from './processes.ts';
import { sleep } from '../helpers/wait.ts';
import { requireTool } from './require-tool.ts';
import { tcpAccepts } from './xspice.ts';

export interface QemuOptions {
  /** Playback and record channels (intel-hda + hda-duplex on a spice audiodev). */
  audio?: boolean;
  /** `-spice playback-compression=`: QEMU's default is on (Opus to a client with the OPUS cap); false sends raw S16LE. */
  playbackCompression?: boolean;
  /** Number of usbredir channels (each a usb-redir device on an xHCI controller); true means 1. */
  usbredir?: boolean | number;
  /** The controller the usb-redir devices sit on: qemu-xhci (default, USB 3) or usb-ehci (USB 2 only, as older VMs have). */
  usbController?: 'xhci' | 'ehci';
  /**
   * usb-redir's `filter=` on every slot, in QEMU's property form (':' between fields, '|' between
   * rules); QEMU sends it to the client as filter_filter (with ',' between fields).
   */
  usbredirFilter?: string;
  /** The WebDAV port channel org.spice-space.webdav.0 (folder sharing). */
  webdav?: boolean;
  /** The print port org.spicedesk.print.0: a virtio-serial port on a spiceport chardev (spicedesk's printing). */
  printPort?: boolean;
  /**
   * A serial port on the port channel org.qemu.console.serial.0 (`spicedesk console`). Added after
   * the guest peer's own serial ports, so in a guest it is the third one (ttyS2).
   */
  serialConsolePort?: boolean;
  /**
   * The QEMU monitor on a SPICE port channel (org.qemu.monitor.qmp.0, `-mon mode=control`): the
   * VM's power menu. Needs no guest OS.
   */
  qmpPort?: boolean;
  /** Extra spiceport chardevs with these names, each a port channel no one reads (for "left alone"). */
  otherPorts?: string[];
  /** The vdagent virtio-serial port; with no guest agent behind it, the agent never connects. */
  agentPort?: boolean;
  /** QXL outputs on the one VGA device (qxl-vga.max_outputs). */
  heads?: number;
  /** Extra `-device qxl` devices: each is one more display channel (ids 1, 2, ...), as a Windows guest's heads. */
  extraQxl?: number;
  /**
   * A virtio-vga with this many outputs instead of the QXL: QEMU gives every output its own display
   * channel (ids 0, 1, ...). The firmware draws on output 0; the others show QEMU's own "not
   * initialized" screen, a real surface (a second `-device qxl` gets none without a guest driver).
   */
  virtioGpuOutputs?: number;
  /** The SPICE port; default a free one. The port of a QEMU just stopped starts "the same server" again (reconnect tests). */
  port?: number;
  /** The VM's UUID (-uuid), which the main channel reports; without it QEMU reports all zeros. */
  uuid?: string;
  password?: string;
  /** Start paused (-S); continue with qmp('cont'). Implies a QMP socket. */
  paused?: boolean;
  /** Open a QMP socket even when not paused. */
  qmp?: boolean;
  /**
   * Keep SeaBIOS's messages (its debug port 0x402, which also gets every line it prints on the
   * screen), readable with firmwareLog(): a test can wait for "No bootable device." instead of
   * guessing how long the firmware takes to give up.
   */
  firmwareLog?: boolean;
  startTimeoutMs?: number;
  /** Boot this kernel and initramfs (test/peers/guest.ts) instead of sitting in the firmware. */
  guest?: QemuGuestBoot;
}

/**
 * A Linux guest: always TCG (`/dev/kvm` exists on these machines but a KVM guest never gets past
 * the kernel's decompressor), 512 MiB, and `-no-reboot` so that a reboot or a panic ends QEMU.
 */
export interface QemuGuestBoot {
  kernel: string;
  initrd: string;
  append: string;
  /** More arguments, e.g. the serial ports' chardevs (`-serial` in order: ttyS0, ttyS1, ...). */
  extraArgs?: readonly string[];
  /** The guest's work folder, removed if the test process dies and its QEMU has to be killed. */
  workDir?: string;
}

export interface QemuServer {
  readonly port: number;
  /** QEMU's process id (the guest peer raises the priority of its threads). */
  readonly pid: number;
  readonly qmpSocket?: string;
  /** Runs one QMP command and returns its `return` value (throws on a QMP error). */
  qmp(execute: string, args?: Record<string, unknown>): Promise<unknown>;
  outputTail(): string;
  /** Whether QEMU is still running: a refused connection is explained by its exit and output. */
  running(): boolean;
  /** QEMU's exit code or signal name, once it has exited. */
  readonly exited: Promise<number | string>;
  /** What the firmware has written to its debug port so far ('' without { firmwareLog: true }). */
  firmwareLog(): string;
  stop(): Promise<void>;
}

const START_ATTEMPTS = 3;

export function qemuArgs(port: number, options: QemuOptions, qmpSocket: string | undefined, firmwareLogFile?: string): string[] {
  const spice = [`port=${port}`, 'addr=127.0.0.1'];
  if (options.password !== undefined) spice.push(`password=${options.password}`);
  else spice.push('disable-ticketing=on');
  if (options.playbackCompression !== undefined) spice.push(`playback-compression=${options.playbackCompression ? 'on' : 'off'}`);
  const guest = options.guest;
  const args = [
    '-machine', guest ? 'q35,accel=tcg' : 'q35,accel=kvm:tcg', '-m', guest ? '512' : '256', '-nic', 'none', '-display', 'none',
    '-nodefaults', '-no-user-config', '-vga', options.virtioGpuOutputs ? 'none' : 'qxl', '-spice', spice.join(','),
  ];
  if (options.virtioGpuOutputs) args.push('-device', `virtio-vga,max_outputs=${options.virtioGpuOutputs}`);
  if (options.heads !== undefined && options.heads > 1) args.push('-global', `qxl-vga.max_outputs=${options.heads}`);
  for (let i = 0; i < (options.extraQxl ?? 0); i++) args.push('-device', 'qxl');
  if (options.uuid !== undefined) args.push('-uuid', options.uuid);
  if (options.audio) {
    args.push('-audiodev', 'spice,id=snd0', '-device', 'intel-hda', '-device', 'hda-duplex,audiodev=snd0');
  }
  const usbChannels = options.usbredir === true ? 1 : options.usbredir || 0;
  if (usbChannels > 0) {
    const ehci = options.usbController === 'ehci';
    args.push('-device', ehci ? 'usb-ehci,id=ehci' : 'qemu-xhci');
    for (let i = 1; i <= usbChannels; i++) {
      const filter = options.usbredirFilter ? `,filter=${options.usbredirFilter}` : '';
      args.push('-chardev', `spicevmc,name=usbredir,id=usbredir${i}`, '-device', `usb-redir,chardev=usbredir${i}${filter}${ehci ? ',bus=ehci.0' : ''}`);
    }
  }
  if (options.qmpPort) args.push('-chardev', 'spiceport,name=org.qemu.monitor.qmp.0,id=qmpport', '-mon', 'chardev=qmpport,mode=control');
  (options.otherPorts ?? []).forEach((name, i) => args.push('-chardev', `spiceport,name=${name},id=otherport${i}`));
  if (options.webdav || options.agentPort || options.printPort) args.push('-device', 'virtio-serial');
  if (options.printPort) {
    args.push('-chardev', 'spiceport,name=org.spicedesk.print.0,id=printport',
      '-device', 'virtserialport,chardev=printport,name=org.spicedesk.print.0');
  }
  if (options.webdav) {
    args.push('-chardev', 'spiceport,name=org.spice-space.webdav.0,id=webdav',
      '-device', 'virtserialport,chardev=webdav,name=org.spice-space.webdav.0');
  }
  if (options.agentPort) {
    args.push('-chardev', 'spicevmc,id=vdagent,name=vdagent',
      '-device', 'virtserialport,chardev=vdagent,name=com.redhat.spice.0');
  }
  if (firmwareLogFile) {
    args.push('-chardev', `file,id=firmware-log,path=${firmwareLogFile}`, '-device', 'isa-debugcon,iobase=0x402,chardev=firmware-log');
  }
  if (guest) {
    args.push('-kernel', guest.kernel, '-initrd', guest.initrd, '-append', guest.append, '-no-reboot', ...(guest.extraArgs ?? []));
  }
  if (options.serialConsolePort) args.push('-chardev', 'spiceport,name=org.qemu.console.serial.0,id=serialconsole', '-serial', 'chardev:serialconsole');
  if (options.paused) args.push('-S');
  if (qmpSocket) args.push('-qmp', `unix:${qmpSocket},server=on,wait=off`);
  return args;
}

/** One QMP exchange: greeting, qmp_capabilities, the command. Events in between are skipped. */
export function qmpCommand(socketPath: string, execute: string, args?: Record<string, unknown>, timeoutMs = 10_000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let buffered = '';
    let stage: 'greeting' | 'capabilities' | 'command' = 'greeting';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`QMP ${execute}: no answer in ${timeoutMs} ms`));
    }, timeoutMs);
    const finish = (error: Error | undefined, value?: unknown): void => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(value);
    };
    socket.on('error', (error) => finish(new Error(`QMP ${execute}: ${error.message}`)));
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (!line) continue;
        const message = JSON.parse(line) as { QMP?: unknown; return?: unknown; error?: { desc?: string }; event?: string };
        if (message.event) continue;
        if (stage === 'greeting' && message.QMP) {
          stage = 'capabilities';
          socket.write(`${JSON.stringify({ execute: 'qmp_capabilities' })}\n`);
        } else if (message.error) {
          finish(new Error(`QMP ${stage === 'command' ? execute : 'qmp_capabilities'}: ${message.error.desc ?? 'error'}`));
        } else if (stage === 'capabilities') {
          stage = 'command';
          socket.write(`${JSON.stringify(args ? { execute, arguments: args } : { execute })}\n`);
        } else if (stage === 'command') {
          finish(undefined, message.return);
        }
      }
    });
  });
}

/**
 * A connection to QEMU's own QMP socket that collects the events (every monitor gets them; a
 * RESET the guest made itself as 'RESET (guest)') in order from the handshake on, and runs commands on the same connection (the socket takes one
 * client at a time, so qmp() waits while this is open).
 */
export async function watchQmpEvents(socketPath: string): Promise<{ events: string[]; execute(command: string): Promise<unknown>; close(): void }> {
  const socket = connect(socketPath);
  const events: string[] = [];
  const waiting: ((value: unknown) => void)[] = [];
  let buffered = '';
  await new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    waiting.push(() => resolve());
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (!line) continue;
        const message = JSON.parse(line) as { QMP?: unknown; return?: unknown; error?: unknown; event?: string; data?: { guest?: boolean } };
        if (message.QMP) socket.write(`${JSON.stringify({ execute: 'qmp_capabilities' })}\n`);
        // A reset the guest made itself is named apart: without an OS, the firmware resets the VM
        // again right after a system_reset (once or twice within 60 ms, on a loaded host), which
        // is QEMU's doing, not the client's.
        else if (message.event) events.push(message.event === 'RESET' && message.data?.guest === true ? 'RESET (guest)' : message.event);
        else waiting.shift()?.(message.return ?? message.error);
      }
    });
  });
  return {
    events,
    execute(command) {
      return new Promise((resolve) => {
        waiting.push(resolve);
        socket.write(`${JSON.stringify({ execute: command })}\n`);
      });
    },
    close: () => socket.destroy(),
  };
}

async function startOnce(binary: string, options: QemuOptions): Promise<QemuServer> {
  const port = options.port ?? (await freePort());
  const wantsQmp = options.qmp || options.paused;
  const dir = wantsQmp || options.firmwareLog ? mkdtempSync(join(tmpdir(), 'spicedesk-qemu-')) : undefined;
  const qmpSocket = dir && wantsQmp ? join(dir, 'qmp.sock') : undefined;
  const firmwareLogFile = dir && options.firmwareLog ? join(dir, 'firmware.log') : undefined;
  const qemu = spawnGroup(binary, qemuArgs(port, options, qmpSocket, firmwareLogFile), {
    name: `qemu (spice port ${port})`,
    cleanupPaths: options.guest?.workDir ? [options.guest.workDir] : [],
  });
  const stop = async (): Promise<void> => {
    await qemu.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + (options.startTimeoutMs ?? 20_000);
  // Up once the SPICE port accepts and, when asked for, the QMP socket is there: a port that
  // accepts while QEMU has already exited (another server got the free port first: QEMU's output
  // then says so, and the start is retried) is not taken for QEMU's.
  while (!(await tcpAccepts(port)) || (qmpSocket !== undefined && !existsSync(qmpSocket)) || !qemu.running()) {
    if (!qemu.running() || Date.now() > deadline) {
      const status = qemu.running() ? 'timed out' : `exited ${String(await qemu.exited)}`;
      await stop();
      const output = qemu.outputTail();
      const error = new Error(`QEMU with SPICE on port ${port} did not start (${status}):\n${output.slice(-3000)}`);
      (error as Error & { retryable?: boolean }).retryable = /Address already in use|Failed to setup listen socket/i.test(output);
      throw error;
    }
    await sleep(50);
  }
  return {
    port,
    pid: qemu.pid,
    qmpSocket,
    qmp(execute, args) {
      if (!qmpSocket) return Promise.reject(new Error('this QEMU has no QMP socket: start it with { qmp: true }'));
      return qmpCommand(qmpSocket, execute, args);
    },
    outputTail: () => qemu.outputTail(),
    running: () => qemu.running(),
    exited: qemu.exited,
    firmwareLog: () => (firmwareLogFile && existsSync(firmwareLogFile) ? readFileSync(firmwareLogFile, 'latin1') : ''),
    stop,
  };
}

export async function startQemu(options: QemuOptions = {}): Promise<QemuServer> {
  const binary = requireTool('qemu-system-x86_64', 'qemu-system-x86');
  let lastError: unknown;
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    try {
      return await startOnce(binary, options);
    } catch (error) {
      lastError = error;
      if (!(error as { retryable?: boolean }).retryable) break;
    }
  }
  throw lastError;
}
