// Xspice: an X server whose screen is a SPICE server (Debian package xserver-xspice). The lightest
// real SPICE peer: no VM, up in a fraction of a second.
//
// We start Xorg with the spiceqxl driver ourselves instead of going through the /usr/bin/Xspice
// Python launcher. The launcher only turns its options into XSPICE_* environment variables for the
// driver and then runs Xorg, but it also sleeps two seconds unconditionally, crashes with `--auto`
// on Debian 12, and cannot combine `--config` with `--vdagent`. Setting the variables here gives
// the same server with one process to manage. See /work/shared/docs/test-peers.md for the quirks:
// the config needs FrameBufferSize/SurfaceBufferSize/CommandBufferSize, and a head count must be set.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeDisplayNumber, freePort } from './free-port.ts';
import { spawnGroup, runToCompletion, sleep } from './processes.ts';
import type { GroupProcess } from './processes.ts';
import { requireFile, requireTool } from './require-tool.ts';

export type ImageCompression = 'off' | 'auto_glz' | 'auto_lz' | 'quic' | 'glz' | 'lz';
export type WanCompression = 'auto' | 'never' | 'always';

export interface XspiceOptions {
  /** Ticket password; without one, ticketing is disabled (any ticket is accepted). */
  password?: string;
  imageCompression?: ImageCompression;
  jpegWan?: WanCompression;
  zlibGlzWan?: WanCompression;
  streamingVideo?: 'off' | 'all' | 'filter';
  /** E.g. 'spice:mjpeg;gstreamer:vp8'. */
  videoCodecs?: string;
  /** Render into the frame buffer and send changed rectangles at this rate. */
  deferredFps?: number;
  numHeads?: 1 | 2;
  /** The agent needs spice-vdagent(d) started by hand (see test-peers.md); not supported yet. */
  vdagent?: false;
  /** How long to wait for the port and the X display; default 15 s. */
  startTimeoutMs?: number;
}

export interface XspiceServer {
  /** The SPICE port on 127.0.0.1. */
  readonly port: number;
  /** The X display, e.g. ':123'. */
  readonly display: string;
  /** process.env with DISPLAY set to this server, for X clients. */
  readonly env: NodeJS.ProcessEnv;
  /** Starts an X client on this display; it is killed by stop(). */
  run(command: string, args: readonly string[], extraEnv?: NodeJS.ProcessEnv): GroupProcess;
  /** Runs an X client on this display to completion (xdotool, xsetroot) and returns its stdout. */
  exec(command: string, args: readonly string[], timeoutMs?: number): Promise<string>;
  /** The end of the Xorg log, for error messages. */
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

const XORG_BINARY = '/usr/lib/xorg/Xorg';
const SPICEQXL_DRIVER = '/usr/lib/xorg/modules/drivers/spiceqxl_drv.so';
const START_ATTEMPTS = 3;
const tempDirsToRemove = new Set<string>();
let tempDirHookInstalled = false;

function xorgConfig(): string {
  // Sizes in MiB. Without SurfaceBufferSize and CommandBufferSize the driver crashes at start;
  // a 32 MiB frame buffer is enough for four 1920x1080 heads.
  return `Section "Device"
    Identifier "XSPICE"
    Driver "spiceqxl"
    Option "FrameBufferSize" "32"
    Option "SurfaceBufferSize" "128"
    Option "CommandBufferSize" "128"
EndSection
Section "InputDevice"
    Identifier "XSPICE POINTER"
    Driver "xspice pointer"
EndSection
Section "InputDevice"
    Identifier "XSPICE KEYBOARD"
    Driver "xspice keyboard"
EndSection
Section "Monitor"
    Identifier "Configured Monitor"
EndSection
Section "Screen"
    Identifier "XSPICE Screen"
    Monitor "Configured Monitor"
    Device "XSPICE"
    DefaultDepth 24
EndSection
Section "ServerLayout"
    Identifier "XSPICE Layout"
    Screen "XSPICE Screen"
    InputDevice "XSPICE KEYBOARD"
    InputDevice "XSPICE POINTER"
EndSection
Section "ServerFlags"
    Option "AutoAddDevices" "False"
EndSection
`;
}

/** The environment the Xspice launcher would give Xorg for these options. */
function driverEnvironment(port: number, options: XspiceOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    // Settings inherited from a developer's shell must not leak into the server under test.
    if (!key.startsWith('XSPICE_') && key !== 'QXL_NUM_HEADS') env[key] = value;
  }
  env.XSPICE_PORT = String(port);
  if (options.password !== undefined) env.XSPICE_PASSWORD = options.password;
  else env.XSPICE_DISABLE_TICKETING = '1';
  if (options.imageCompression) env.XSPICE_IMAGE_COMPRESSION = options.imageCompression;
  if (options.jpegWan) env.XSPICE_JPEG_WAN_COMPRESSION = options.jpegWan;
  if (options.zlibGlzWan) env.XSPICE_ZLIB_GLZ_WAN_COMPRESSION = options.zlibGlzWan;
  if (options.streamingVideo) env.XSPICE_STREAMING_VIDEO = options.streamingVideo;
  if (options.videoCodecs) env.XSPICE_VIDEO_CODECS = options.videoCodecs;
  if (options.deferredFps !== undefined) env.XSPICE_DEFERRED_FPS = String(options.deferredFps);
  env.QXL_NUM_HEADS = String(options.numHeads ?? 1);
  return env;
}

export function tcpAccepts(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function tailOfFile(path: string, lines: number): string {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no Xorg log)';
  }
}

function installTempDirHook(): void {
  if (tempDirHookInstalled) return;
  tempDirHookInstalled = true;
  process.on('exit', () => {
    for (const dir of tempDirsToRemove) rmSync(dir, { recursive: true, force: true });
  });
}

class StartFailure extends Error {
  constructor(message: string, readonly retryable: boolean) {
    super(message);
  }
}

async function startOnce(options: XspiceOptions, xdpyinfo: string): Promise<XspiceServer> {
  const displayNumber = freeDisplayNumber();
  const display = `:${displayNumber}`;
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'spicedesk-xspice-'));
  tempDirsToRemove.add(dir);
  const configPath = join(dir, 'xorg.conf');
  const logPath = join(dir, 'xorg.log');
  writeFileSync(configPath, xorgConfig());

  const xorg = spawnGroup(
    XORG_BINARY,
    ['-config', configPath, '-noreset', '-nolisten', 'tcp', '-logfile', logPath, display],
    {
      env: driverEnvironment(port, options),
      cwd: dir,
      name: `Xspice ${display}`,
      // A killed Xorg leaves its lock and socket; without them the display number is reusable.
      cleanupPaths: [dir, `/tmp/.X${displayNumber}-lock`, `/tmp/.X11-unix/X${displayNumber}`],
    },
  );
  const clientEnv: NodeJS.ProcessEnv = { ...process.env, DISPLAY: display };
  const clients = new Set<GroupProcess>();
  const logTail = (lines = 30): string => tailOfFile(logPath, lines);

  const stop = async (): Promise<void> => {
    await Promise.all([...clients].map((client) => client.stop(500)));
    clients.clear();
    await xorg.stop();
    rmSync(dir, { recursive: true, force: true });
    tempDirsToRemove.delete(dir);
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 15_000);
  let portUp = false;
  let displayUp = false;
  while (!(portUp && displayUp)) {
    if (!xorg.running()) {
      const status = await xorg.exited;
      const log = logTail();
      await stop();
      // Another X server took the display, or another peer the port, between our check and bind.
      const retryable = /already active|Cannot establish any listening sockets|Address already in use|Failed to listen/i.test(log + xorg.outputTail());
      throw new StartFailure(
        `Xspice on ${display} (port ${port}) exited during start-up (${String(status)}).\n` +
        `Xorg log tail:\n${log}\nOutput:\n${xorg.outputTail().slice(-2000)}`,
        retryable,
      );
    }
    if (Date.now() > deadline) {
      const log = logTail();
      await stop();
      throw new StartFailure(
        `Xspice on ${display} did not come up in time (port ${port} ${portUp ? 'open' : 'closed'}, ` +
        `display ${displayUp ? 'answering' : 'silent'}).\nXorg log tail:\n${log}`,
        false,
      );
    }
    if (!portUp) portUp = await tcpAccepts(port);
    if (!displayUp) {
      const probe = await runToCompletion(xdpyinfo, ['-display', display], { timeoutMs: 3000 });
      displayUp = probe.code === 0;
    }
    if (!(portUp && displayUp)) await sleep(50);
  }

  return {
    port,
    display,
    env: clientEnv,
    run(command, args, extraEnv = {}) {
      const client = spawnGroup(command, args, { env: { ...clientEnv, ...extraEnv }, name: `${command} on ${display}` });
      clients.add(client);
      void client.exited.then(() => clients.delete(client));
      return client;
    },
    async exec(command, args, timeoutMs = 10_000) {
      const result = await runToCompletion(command, args, { env: clientEnv, timeoutMs });
      if (result.code !== 0) {
        throw new Error(`${command} ${args.join(' ')} on ${display} failed (${result.timedOut ? 'timed out' : `exit ${String(result.code ?? result.signal)}`}): ${result.stderr.trim()}`);
      }
      return result.stdout.toString('utf8');
    },
    logTail,
    stop,
  };
}

/** Starts Xspice on a free display and port; waits until both answer. */
export async function startXspice(options: XspiceOptions = {}): Promise<XspiceServer> {
  requireTool('Xspice', 'xserver-xspice');
  requireTool(XORG_BINARY, 'xserver-xorg-core');
  requireFile(SPICEQXL_DRIVER, 'xserver-xspice', 'the spiceqxl Xorg driver');
  const xdpyinfo = requireTool('xdpyinfo', 'x11-utils');
  installTempDirHook();
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    try {
      return await startOnce(options, xdpyinfo);
    } catch (error) {
      if (!(error instanceof StartFailure) || !error.retryable) throw error;
      lastError = error;
    }
  }
  throw lastError ?? new Error('startXspice: no attempt made');
}
