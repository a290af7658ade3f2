// Xspice: an X server whose screen is a SPICE server (Debian package xserver-xspice). The lightest
// real SPICE peer: no VM, up in a fraction of a second. How it is configured lives in
// src/main/demo/xspice-config.ts (shared with `spicedesk demo`); this file runs it for tests, on a
// free display and port, with retries and cleanup.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeDisplayNumber, freePort } from './free-port.ts';
import { spawnGroup, runToCompletion } from './processes.ts';
import { sleep } from '../helpers/wait.ts';
import type { GroupProcess } from './processes.ts';
import { requireFile, requireTool } from './require-tool.ts';
import { startVdagent, vdagentDriverEnvironment, vdagentPaths, type RunningVdagent, type VdagentOptions } from './vdagent.ts';
import { driverEnvironment, SPICEQXL_DRIVER, XORG_BINARY, xorgConfig, type XspiceSettings } from '../../src/main/demo/xspice-config.ts';

export type { XspiceImageCompression as ImageCompression, XspiceWanCompression as WanCompression } from '../../src/main/demo/xspice-config.ts';

export interface XspiceOptions extends XspiceSettings {
  /**
   * Starts the guest agent (spice-vdagentd and spice-vdagent, test/peers/vdagent.ts) with the
   * server: `true` for the defaults, or options (the download folder).
   */
  vdagent?: boolean | VdagentOptions;
  /**
   * The SPICE port; default a free one. Giving the port of a server just stopped restarts "the
   * same server" for reconnect tests.
   */
  port?: number;
  /** How long to wait for the port and the X display; default 15 s. */
  startTimeoutMs?: number;
  /**
   * Sound: the driver plays the FIFOs created in `fifoDir` after the start (S16LE stereo 48 kHz,
   * playFifo below), RAW, or Opus with `opus` (shared/docs/multimedia.md §4.1).
   */
  audio?: { fifoDir: string; opus?: boolean };
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
  /** The guest agent, when started with `vdagent`. */
  readonly agent: RunningVdagent | null;
  /** Whether Xspice still runs (its exit and output if not), then the end of the Xorg log, for error messages. */
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

const START_ATTEMPTS = 3;
const tempDirsToRemove = new Set<string>();
let tempDirHookInstalled = false;

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
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'spicedesk-xspice-'));
  tempDirsToRemove.add(dir);
  const configPath = join(dir, 'xorg.conf');
  const logPath = join(dir, 'xorg.log');
  writeFileSync(configPath, xorgConfig());

  const xorg = spawnGroup(
    XORG_BINARY,
    ['-config', configPath, '-noreset', '-nolisten', 'tcp', '-logfile', logPath, display],
    {
      env: { ...driverEnvironment(port, options), ...(options.vdagent ? vdagentDriverEnvironment(vdagentPaths(dir)) : {}), ...audioEnvironment(options.audio) },
      cwd: dir,
      name: `Xspice ${display}`,
      // A killed Xorg leaves its lock and socket; without them the display number is reusable.
      cleanupPaths: [dir, `/tmp/.X${displayNumber}-lock`, `/tmp/.X11-unix/X${displayNumber}`],
    },
  );
  const clientEnv: NodeJS.ProcessEnv = { ...process.env, DISPLAY: display };
  const clients = new Set<GroupProcess>();
  // Whether the server still runs leads the log: a port that refuses is a crashed server or a closed listener.
  let exit: number | string | null = null;
  void xorg.exited.then((code) => (exit = code));
  const logTail = (lines = 30): string =>
    `(Xspice ${exit === null ? `runs, pid ${xorg.pid}` : `exited: ${String(exit)}; its output:\n${xorg.outputTail().slice(-2000)}`})\n${tailOfFile(logPath, lines)}`;

  let agent: RunningVdagent | null = null;
  const stop = async (): Promise<void> => {
    await agent?.stop();
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
      const log = tailOfFile(logPath, 30);
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
      const log = tailOfFile(logPath, 30);
      await stop();
      throw new StartFailure(
        `Xspice on ${display} did not come up in time (port ${port} ${portUp ? 'open' : 'closed'}, ` +
        `display ${displayUp ? 'answering' : 'silent'}).\nXorg log tail:\n${log}`,
        false,
      );
    }
    if (!portUp) portUp = await tcpAccepts(options.tls?.withoutPlainPort ? options.tls.port : port);
    if (!displayUp) {
      const probe = await runToCompletion(xdpyinfo, ['-display', display], { timeoutMs: 3000 });
      displayUp = probe.code === 0;
    }
    if (!(portUp && displayUp)) await sleep(50);
  }

  if (options.vdagent) {
    try {
      agent = await startVdagent(dir, display, vdagentPaths(dir), options.vdagent === true ? {} : options.vdagent);
    } catch (e) {
      await stop();
      throw new StartFailure(`the guest agent for Xspice on ${display} did not start: ${(e as Error).message}`, false);
    }
  }

  return {
    port,
    display,
    env: clientEnv,
    get agent() {
      return agent;
    },
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

/** The driver's sound settings (no launcher flag exists for them). */
function audioEnvironment(audio: XspiceOptions['audio']): NodeJS.ProcessEnv {
  if (!audio) return {};
  return { XSPICE_PLAYBACK_FIFO_DIR: audio.fifoDir, ...(audio.opus ? { XSPICE_PLAYBACK_COMPRESSION: '1' } : {}) };
}

/**
 * Plays interleaved S16LE stereo 48 kHz through a new FIFO in the server's `audio.fifoDir`: the
 * driver picks it up (inotify), reads it in real time and mixes it; closing it ends the sound
 * (PLAYBACK_STOP once no FIFO is left). Resolves when everything is written and the FIFO removed.
 * Sound played while no client is connected is lost.
 */
export async function playFifo(fifoDir: string, pcm: Int16Array, name = `tone-${process.pid}-${Date.now()}`): Promise<void> {
  const mkfifo = requireTool('mkfifo', 'coreutils');
  const path = join(fifoDir, name);
  await runToCompletion(mkfifo, [path], { timeoutMs: 5000 });
  try {
    // Opening for writing waits until the driver has opened it for reading.
    const fifo = await open(path, 'w');
    try {
      await fifo.write(new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength));
    } finally {
      await fifo.close();
    }
  } finally {
    rmSync(path, { force: true });
  }
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
