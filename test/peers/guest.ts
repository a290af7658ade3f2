// A real Linux guest under QEMU (TCG) as a test peer: Debian's kernel and a small initramfs built
// at test time from the host's packages (busybox-static and the tools a test needs), driven over
// its serial console. For what QEMU sends only when a guest does something: sound (the guest's
// aplay/arecord), and later USB devices and folder sharing. docs/testing.md has the numbers.
//
//   const guest = await startGuest({ devices: ['audio'], files: { '/tone.wav': wavBytes } });
//   // in beforeAll (boot once per test file, ~5-20 s under TCG); afterAll: await guest?.stop()
//   const { output, status } = await guest.run('aplay -l');            // one command, its status
//   const aplay = await guest.spawn('aplay -q -D plughw:0,0 /tone.wav'); // in the background
//   ... the client listens on guest.port ...
//   expect((await aplay.wait()).status).toBe(0);
//   const recording = await guest.readFile('/rec.raw');                // Buffer, byte exact
//   await guest.powerOff();                                            // poweroff -f, QEMU exits
//
// - `devices` picks named sets from guest/devices.ts (QEMU devices + modules + tools + init lines);
//   `modules`, `tools`, `files`, `initScript` add the test's own. The image is cached by a hash of
//   all that (guest/image.ts), so the first test file pays ~0.3 s to build it, the others nothing.
// - Every other QemuOptions field (port, password, qmp, usbredir, ...) passes through to QEMU.
// - Commands run one at a time under /bin/sh (busybox) with stdin on /dev/null, as root; PATH has
//   the tools. A command that times out (default 20 s) throws with the serial log's tail, and keeps
//   the console busy until it ends in the guest.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startQemu, type QemuOptions, type QemuServer } from './qemu.ts';
import { waitUntil } from '../helpers/wait.ts';
import { connectChardev, GuestConsole, GuestFilePort, shellQuote, type GuestCommandResult } from './guest/console.ts';
import { GUEST_DEVICES, type GuestDeviceName, type GuestDeviceSet } from './guest/devices.ts';
import { buildGuestImage, type GuestImage, type GuestImageInputs } from './guest/image.ts';
import { READY_MARKER } from './guest/init.ts';

export type { GuestCommandResult } from './guest/console.ts';
export type { GuestDeviceName } from './guest/devices.ts';
export { buildGuestImage, type GuestImage, type GuestImageInputs, type GuestTool } from './guest/image.ts';

export interface StartGuestOptions extends GuestImageInputs, Omit<QemuOptions, 'guest' | 'audio'> {
  devices?: readonly GuestDeviceName[];
  /** From QEMU's start to the guest's ready marker; default 120 s (TCG on two busy cores). */
  bootTimeoutMs?: number;
  /** Added to the kernel command line. */
  kernelArgs?: string;
}

/** A command started with spawn(), running in the guest in the background. */
export interface GuestProcess {
  /** The command's pid, which is also its process group's (it runs under setsid). */
  readonly pid: number;
  /** Waits for it to end: its output (stdout and stderr, kept in a file in the guest) and status. Holds the console meanwhile. */
  wait(options?: { timeoutMs?: number }): Promise<GuestCommandResult>;
  /** Sends the command and everything it started (its process group) a signal (default TERM); wait() then gives 128 + the signal's number. */
  kill(signal?: string): Promise<void>;
}

export interface Guest {
  /** The SPICE port of the guest's QEMU (127.0.0.1, no password unless given). */
  readonly port: number;
  readonly qemu: QemuServer;
  readonly image: GuestImage;
  /** Milliseconds from QEMU's start to the guest's ready marker. */
  readonly bootMs: number;
  run(command: string, options?: { timeoutMs?: number }): Promise<GuestCommandResult>;
  spawn(command: string): Promise<GuestProcess>;
  /** A guest file's bytes, through the raw second serial port. */
  readFile(path: string, options?: { timeoutMs?: number }): Promise<Buffer>;
  /** Writes a guest file through the raw second serial port. */
  writeFile(path: string, data: Uint8Array, options?: { timeoutMs?: number }): Promise<void>;
  /** Everything the guest wrote on its console since boot. */
  serialLog(): string;
  /** `poweroff -f` in the guest; resolves once QEMU has exited (stop() cleans up after). */
  powerOff(options?: { timeoutMs?: number }): Promise<void>;
  /** Ends QEMU (whatever the guest is doing) and removes the guest's work folder. */
  stop(): Promise<void>;
}

/** The image inputs of these options: the device sets' first (in the order given), then the test's own. */
export function guestImageInputs(options: StartGuestOptions): GuestImageInputs {
  const sets = (options.devices ?? []).map((name): GuestDeviceSet => {
    const set = GUEST_DEVICES[name];
    if (!set) throw new Error(`unknown guest device set ${String(name)} (known: ${Object.keys(GUEST_DEVICES).join(', ')})`);
    return set;
  });
  return {
    modules: [...sets.flatMap((set) => set.modules), ...(options.modules ?? [])],
    tools: [...new Set([...sets.flatMap((set) => set.tools), ...(options.tools ?? [])])],
    files: Object.assign({}, ...sets.map((set) => set.files?.() ?? {}), options.files),
    initScript: [...sets.map((set) => set.initScript ?? ''), options.initScript ?? ''].join(''),
  };
}

/** Below vitest's own 30 s test timeout, so that a stuck command fails with the guest's serial log. */
const DEFAULT_COMMAND_TIMEOUT_MS = 20_000;

// The file port's speed, for timeouts: measured here about 400 KB/s out of the guest and 50 KB/s
// into it (the emulated UART's 16-byte receive FIFO); the timeouts allow ten times slower.
const FILE_PORT_MIN_BYTES_PER_SECOND = 5_000;

export async function startGuest(options: StartGuestOptions = {}): Promise<Guest> {
  const image = buildGuestImage(guestImageInputs(options));
  const workDir = mkdtempSync(join(tmpdir(), 'spicedesk-guest-'));
  const consoleSocket = join(workDir, 'console.sock');
  const consoleLog = join(workDir, 'console.log');
  const filesSocket = join(workDir, 'files.sock');
  const qemuOptions: QemuOptions = { ...options };
  for (const name of options.devices ?? []) Object.assign(qemuOptions, GUEST_DEVICES[name].qemu);
  qemuOptions.guest = {
    kernel: image.kernel,
    initrd: image.initrd,
    append: `console=ttyS0 rdinit=/init quiet${options.kernelArgs ? ` ${options.kernelArgs}` : ''}`,
    extraArgs: [
      '-chardev', `socket,id=console,path=${consoleSocket},server=on,wait=off,logfile=${consoleLog}`, '-serial', 'chardev:console',
      '-chardev', `socket,id=files,path=${filesSocket},server=on,wait=off`, '-serial', 'chardev:files',
    ],
    workDir,
  };
  const started = Date.now();
  let qemu: QemuServer;
  try {
    qemu = await startQemu(qemuOptions);
    raiseThreadPriority(qemu.pid);
  } catch (error) {
    rmSync(workDir, { recursive: true, force: true });
    throw error;
  }
  let shell: GuestConsole | undefined;
  let files: GuestFilePort | undefined;
  const stop = async (): Promise<void> => {
    shell?.close();
    files?.close();
    await qemu.stop();
    rmSync(workDir, { recursive: true, force: true });
  };
  try {
    shell = new GuestConsole(await connectChardev(consoleSocket, 'console'), consoleLog);
    files = new GuestFilePort(await connectChardev(filesSocket, 'file port'));
    const serial = shell;
    await waitUntil('the guest to boot', () => {
      if (!qemu.running()) throw new Error(`QEMU exited while the guest booted:\n${qemu.outputTail().slice(-2000)}\nserial log:\n${serial.serialTail()}`);
      return serial.serialLog().includes(READY_MARKER);
    }, options.bootTimeoutMs ?? 120_000, { pollMs: 100, explain: () => `serial log tail:\n${serial.serialTail()}` });
  } catch (error) {
    await stop();
    throw error;
  }
  const bootMs = Date.now() - started;
  const serial = shell;
  const filePort = files;
  const run = (command: string, runOptions: { timeoutMs?: number } = {}): Promise<GuestCommandResult> =>
    serial.run(command, runOptions.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS);
  let spawned = 0;

  return {
    port: qemu.port,
    qemu,
    image,
    bootMs,
    run,
    async spawn(command) {
      const dir = '/tmp/.spicedesk-spawn';
      const name = `${dir}/${++spawned}`;
      // The command runs as `sh -c` in a session (and process group) of its own, under setsid: its
      // pid is the group's id, so kill() reaches the command and everything it started, not only a
      // shell around it. A watcher subshell (not in that group) waits for it and writes its status
      // (128 + the signal's number when killed), whole (mv), once it has ended; its output waits in
      // .out. The pid comes back through a file, whole too, before this command's own end.
      const started = await run(
        `mkdir -p ${dir}; ( setsid sh -c ${shellQuote(command)} >${name}.out 2>&1 </dev/null & echo $! >${name}.pidtmp; mv ${name}.pidtmp ${name}.pid; ` +
          `wait $!; echo $? >${name}.tmp; mv ${name}.tmp ${name}.status ) >/dev/null 2>&1 </dev/null & ` +
          `while [ ! -e ${name}.pid ]; do usleep 1000; done; cat ${name}.pid`,
      );
      const pid = Number(started.output.trim());
      if (started.status !== 0 || !Number.isInteger(pid)) throw new Error(`guest: could not start \`${command}\`: ${started.output}`);
      return {
        pid,
        async wait(waitOptions = {}) {
          const done = await run(`while [ ! -e ${name}.status ]; do usleep 20000; done; cat ${name}.out; exit $(cat ${name}.status)`, waitOptions);
          return done;
        },
        async kill(signal = 'TERM') {
          // The whole group: the command and its children (a shell's pipeline, aplay under it).
          await run(`kill -${signal} -${pid} 2>/dev/null; true`);
        },
      };
    },
    async readFile(path, readOptions = {}) {
      filePort.discard();
      const sent = await run(`wc -c < ${shellQuote(path)} && cat ${shellQuote(path)} >&3`, readOptions);
      const size = Number(sent.output.trim());
      if (sent.status !== 0 || !Number.isInteger(size)) throw new Error(`guest: cannot read ${path}: ${sent.output.trim()} (status ${sent.status})`);
      const timeoutMs = readOptions.timeoutMs ?? 10_000 + (size * 1000) / FILE_PORT_MIN_BYTES_PER_SECOND;
      return filePort.take(size, timeoutMs, () => `serial log tail:\n${serial.serialTail()}`);
    },
    async writeFile(path, data, writeOptions = {}) {
      // The guest keeps ttyS1 open (fd 3), so bytes sent before head starts wait in its tty buffer.
      const timeoutMs = writeOptions.timeoutMs ?? 10_000 + (data.length * 1000) / FILE_PORT_MIN_BYTES_PER_SECOND;
      const written = run(`head -c ${data.length} <&3 > ${shellQuote(path)}`, { timeoutMs });
      await filePort.write(data);
      const result = await written;
      if (result.status !== 0) throw new Error(`guest: cannot write ${path}: ${result.output.trim()} (status ${result.status})`);
    },
    serialLog: () => serial.serialLog(),
    async powerOff(powerOptions = {}) {
      serial.send('poweroff -f');
      const timeoutMs = powerOptions.timeoutMs ?? 30_000;
      await waitUntil('QEMU to exit after poweroff -f', () => !qemu.running(), timeoutMs, {
        pollMs: 50, explain: () => `serial log tail:\n${serial.serialTail()}`,
      });
    },
    stop,
  };
}

/**
 * The guest's sound is real time: a TCG vCPU that the rest of a full test run (Chromium, Xspice,
 * other guests on 2 cores) starves misses the HDA card's deadlines, and the guest plays or records
 * with gaps that no client causes (a CI run heard 443.6 Hz for 440). So QEMU's threads get a higher
 * priority (nice -10) where the tests run as root, as CI does; threads QEMU starts later inherit
 * it from the thread that starts them. Elsewhere it stays as it is, which only makes gaps likelier.
 */
function raiseThreadPriority(pid: number): void {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return;
  }
  for (const tid of tasks) {
    try {
      setPriority(Number(tid), -10);
    } catch {
      return; // not root: no thread can be raised
    }
  }
}
