// The SPICE guest agent for an Xspice server (Debian package spice-vdagent), started by hand the
// way docs/testing.md ("spice-vdagent") says works: the Xspice launcher cannot start it together with
// a config file, and when it does start it, spice-vdagentd finds no login session (no system
// D-Bus here). So Xorg gets the agent's socket paths through XSPICE_VDAGENT_* variables, and this
// file starts spice-vdagentd with the session check off (-X) and spice-vdagent on the display.
//
// Seen with spice-vdagent 0.22.1 (Debian 12):
// - spice-vdagentd logs "vdagent_virtio_port_create: No such device or address" when the session
//   agent connects: it first open()s the path, which fails on a socket, then connects to it as a
//   Unix socket, which works. Harmless.
// - spice-vdagent announces (grabs) the guest clipboard only while a client is connected, and
//   drops what it knew when the client leaves: a test copies in the guest during the connection.
// - spice-vdagentd drops a MONITORS_CONFIG whose size is not exactly the monitor list (so one with
//   physical sizes), logging "invalid message size for VDAgentMonitorsConfig".
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnGroup, type GroupProcess } from './processes.ts';
import { sleep, waitUntil } from '../helpers/wait.ts';
import { requireTool } from './require-tool.ts';

export interface VdagentOptions {
  /**
   * Where transferred files land (XDG_DOWNLOAD_DIR in the agent's user-dirs.dirs); default a
   * `downloads` folder in the peer's temporary folder. `false` gives the agent no download folder,
   * which makes spice-vdagent turn file transfer off (it then answers FILE_XFER_START with DISABLED).
   */
  downloadDir?: string | false;
}

/** The socket paths Xorg (the spiceqxl driver) and the two agent processes share. */
export interface VdagentPaths {
  virtio: string;
  uinput: string;
  udcs: string;
}

export function vdagentPaths(dir: string): VdagentPaths {
  return { virtio: join(dir, 'vdagent.virtio'), uinput: join(dir, 'vdagent.uinput'), udcs: join(dir, 'vdagent.udcs') };
}

/** What /usr/bin/Xspice --vdagent --vdagent-no-launch puts in Xorg's environment. */
export function vdagentDriverEnvironment(paths: VdagentPaths): NodeJS.ProcessEnv {
  return {
    XSPICE_VDAGENT_ENABLED: '1',
    XSPICE_VDAGENT_VIRTIO_PATH: paths.virtio,
    XSPICE_VDAGENT_UINPUT_PATH: paths.uinput,
    XSPICE_VDAGENT_UID: String(process.getuid?.() ?? 0),
    XSPICE_VDAGENT_GID: String(process.getgid?.() ?? 0),
  };
}

export interface RunningVdagent {
  /** The folder transferred files land in, or null when file transfer is off. */
  readonly downloadDir: string | null;
  readonly daemon: GroupProcess;
  readonly agent: GroupProcess;
  /** Both processes' output, for error messages. */
  outputTail(): string;
  stop(): Promise<void>;
}

/** Connected sockets on the Unix socket `path` (the daemon's accepted ends carry its name). */
function unixConnections(path: string): number {
  const CONNECTED = '03';
  let count = 0;
  for (const line of readFileSync('/proc/net/unix', 'utf8').split('\n').slice(1)) {
    // "Num RefCount Protocol Flags Type St Inode Path"
    const fields = line.trim().split(/\s+/);
    if (fields[5] === CONNECTED && fields[7] === path) count++;
  }
  return count;
}

async function waitForPath(path: string, what: string, process: GroupProcess | null, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (process && !process.running()) throw new Error(`${what} exited before creating ${path}:\n${process.outputTail()}`);
    if (Date.now() > end) throw new Error(`${what} did not create ${path} within ${timeoutMs} ms${process ? `:\n${process.outputTail()}` : ''}`);
    await sleep(25);
  }
}

/**
 * Starts spice-vdagentd and spice-vdagent for the Xspice on `display` whose driver was given
 * `paths` (the virtio socket must exist: Xorg creates it at start).
 */
export async function startVdagent(dir: string, display: string, paths: VdagentPaths, options: VdagentOptions = {}): Promise<RunningVdagent> {
  const daemonBinary = requireTool('/usr/sbin/spice-vdagentd', 'spice-vdagent');
  const agentBinary = requireTool('spice-vdagent', 'spice-vdagent');
  await waitForPath(paths.virtio, 'the Xspice driver (its agent socket)', null, 10_000);

  // The agent reads its download folder from $XDG_CONFIG_HOME/user-dirs.dirs (glib's special dirs).
  const configHome = join(dir, 'agent-config');
  mkdirSync(configHome, { recursive: true });
  const downloadDir = options.downloadDir === false ? null : (options.downloadDir ?? join(dir, 'downloads'));
  if (downloadDir) {
    mkdirSync(downloadDir, { recursive: true });
    writeFileSync(join(configHome, 'user-dirs.dirs'), `XDG_DOWNLOAD_DIR="${downloadDir}"\n`);
  }
  const home = join(dir, 'agent-home');
  mkdirSync(home, { recursive: true });

  const daemon = spawnGroup(daemonBinary, ['-f', '-x', '-X', '-S', paths.udcs, '-s', paths.virtio, '-u', paths.uinput], {
    name: `spice-vdagentd for ${display}`,
    cleanupPaths: [paths.udcs],
  });
  try {
    await waitForPath(paths.udcs, 'spice-vdagentd', daemon, 10_000);
  } catch (e) {
    await daemon.stop(500);
    throw e;
  }
  // Without a download folder, `-f xdg-download` leaves the agent with no save folder at all.
  const agentArgs = ['-x', '-s', paths.virtio, '-S', paths.udcs, '-f', 'xdg-download'];
  const agent = spawnGroup(agentBinary, agentArgs, {
    name: `spice-vdagent on ${display}`,
    env: { ...process.env, DISPLAY: display, HOME: home, XDG_CONFIG_HOME: configHome, LC_ALL: 'C' },
  });
  const outputTail = (): string => `spice-vdagentd:\n${daemon.outputTail()}\nspice-vdagent:\n${agent.outputTail()}`;
  // The session agent has no readiness signal of its own: it is up once it has connected to the
  // daemon's socket (or it has exited, which is the error below).
  await waitUntil('spice-vdagent to connect to spice-vdagentd', () => unixConnections(paths.udcs) > 0 || !agent.running(), 10_000, {
    explain: outputTail,
  });
  if (!agent.running()) {
    await daemon.stop(500);
    throw new Error(`spice-vdagent exited at start:\n${outputTail()}`);
  }
  return {
    downloadDir,
    daemon,
    agent,
    outputTail,
    async stop() {
      // SIGKILL: spice-vdagent 0.22.1 dereferences NULL in its own shutdown on SIGTERM or SIGINT
      // (a "segfault" line in the kernel log at every stop, 13 a full run, among which a server's
      // real crash is easy to miss); it has no file of its own to clean up.
      await agent.stop(500, 'SIGKILL');
      await daemon.stop(500);
    },
  };
}
