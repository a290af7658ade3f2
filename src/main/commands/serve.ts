// `spicedesk serve [--listen HOST:PORT] TARGET...`: the web gateway. Serves the renderer to a
// browser and runs one SPICE session per open page, to the targets given here and no others.
// Prints the URL to open (with its access token) as the first line of standard output.
import type { UsbCommandLine } from '../usb/usb-policy.ts';
import type { SharedDirSetting } from '../webdav/shared-dir.ts';
import type { PrintSetting } from '../printing/print-setting.ts';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Logger } from '../../protocol/logger.ts';
import { SpiceError } from '../../protocol/wire/errors.ts';
import { planConnection } from '../connect/connector.ts';
import { startDemoServer, type DemoServer } from '../demo/demo-server.ts';
import { DEFAULT_HOST, startGateway, type Gateway } from '../gateway/gateway-server.ts';
import type { GatewayTarget } from '../host/bridge-host.ts';
import { resolveTarget, targetLabel } from '../connect/target.ts';
import { applyDeleteThisFile } from '../connect/vv-lifecycle.ts';
import type { ClipboardSharing } from '../../protocol/channels/main/agent/clipboard.ts';
import type { CaFile } from '../transport/tls-ca-file.ts';
import type { KioskFlags } from '../../protocol/policy/kiosk-policy.ts';
import type { MonitorMapping } from '../../protocol/monitors/monitor-mapping.ts';
import { MonitorMappingSource } from '../monitors/session-mapping.ts';
import { SettingsStore, settingsDir } from '../monitors/settings-store.ts';

export interface ServeOptions {
  targets: string[];
  /** HOST:PORT, :PORT or PORT; default 127.0.0.1 and a free port. */
  listen?: string;
  timeoutMs: number;
  logger: Logger;
  warn: (line: string) => void;
  out: (text: string) => void;
  /** Resolves when the gateway should stop; by default on SIGINT or SIGTERM. */
  until?: Promise<void>;
  /** Start a local demo Xspice (an xterm) and serve it, instead of TARGETs. */
  demo?: boolean;
  /** Open the URL in the system's browser (xdg-open, or $BROWSER). */
  open?: boolean;
  /** --clipboard: the directions pages may share the clipboard in; default both. */
  clipboardPolicy?: ClipboardSharing;
  /** --spice-ca-file, trusted together with each target's ca. */
  caFile?: CaFile;
  /** --kiosk, --kiosk-quit: every page of every target gets the kiosk policy (src/protocol/policy). */
  kiosk?: KioskFlags;
  /** --monitor-mapping, remembered per VM UUID in the settings folder. */
  monitorMapping?: MonitorMapping;
  /** --memory-limit in bytes, for each page's session (undefined: the default). */
  memoryLimit?: number;
  /** --video-codecs: every target's codec order, over its profile's video-codecs. */
  videoCodecs?: number[];
  /** --spice-shared-dir (and -ro): the folder each page's session shares with its guest. */
  sharedDir?: SharedDirSetting;
  /** --spice-share-cd and the usbredir rules, for each page's session. */
  usb?: UsbCommandLine;
  /** --print-to, --print-max-mb: where each page's session prints the guest's jobs (none: off). */
  print?: PrintSetting;
}

export function parseListen(value: string | undefined): { host: string; port: number } {
  if (value === undefined) return { host: DEFAULT_HOST, port: 0 };
  const m = /^(?:(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]*):)?(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new SpiceError('usage', `--listen must be HOST:PORT, :PORT or PORT (e.g. 127.0.0.1:8080), got "${value}"`);
  let host = m[1] ?? '';
  if (host.startsWith('[')) host = host.slice(1, -1);
  if (host === '' || host === 'localhost') host = DEFAULT_HOST;
  return { host, port };
}


async function resolveTargets(args: string[], timeoutMs: number, warn: (line: string) => void, tls: { caFile?: CaFile; logger?: Logger } = {}): Promise<GatewayTarget[]> {
  if (args.length === 0) throw new SpiceError('usage', 'serve needs at least one TARGET (a spice:// URI, a .vv file or -)');
  if (args.filter((a) => a === '-').length > 1) throw new SpiceError('usage', 'serve can read only one .vv file from standard input (-)');
  const targets: GatewayTarget[] = [];
  for (const arg of args) {
    const resolved = await resolveTarget(arg);
    const { profile } = resolved;
    await applyDeleteThisFile(resolved, { warn });
    for (const w of profile.warnings) warn(w);
    // Planned now, so that a target spicedesk cannot reach (TLS, proxy) fails before the URL is printed.
    const plan = planConnection(profile, { timeoutMs, ...tls });
    targets.push({ label: targetLabel(arg), profile, plan, password: profile.password ?? process.env.SPICE_PASSWORD });
  }
  return targets;
}

function untilSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

/** Hands the URL to the desktop's browser; failing that, the user still has the printed URL. */
function openInBrowser(url: string, warn: (line: string) => void): void {
  const command = process.env.BROWSER || 'xdg-open';
  const child = spawn(command, [url], { stdio: 'ignore', detached: true });
  child.on('error', (e) => warn(`could not open a browser with ${command} (${e.message}); open the URL by hand`));
  child.unref();
}

export async function runServe(o: ServeOptions): Promise<void> {
  const { host, port } = parseListen(o.listen);
  let demo: DemoServer | undefined;
  if (o.demo) {
    if (o.targets.length > 0) throw new SpiceError('usage', 'serve --demo starts its own server and takes no TARGET');
    demo = await startDemoServer();
  }
  try {
    await serveTargets(o, host, port, demo ? [`spice://127.0.0.1:${demo.port}`] : o.targets);
  } finally {
    demo?.stop();
  }
}

async function serveTargets(o: ServeOptions, host: string, port: number, args: string[]): Promise<void> {
  const targets = await resolveTargets(args, o.timeoutMs, o.warn, { caFile: o.caFile, logger: o.logger });
  for (const t of targets) t.kiosk = o.kiosk;
  for (const t of targets) t.clipboard = o.clipboardPolicy;
  for (const t of targets) t.memoryLimit = o.memoryLimit;
  for (const t of targets) t.sharedDir = o.sharedDir;
  for (const t of targets) t.usb = o.usb;
  for (const t of targets) t.print = o.print;
  // The page's session sends the profile's codec order (bridge-host.ts): the option goes there.
  if (o.videoCodecs) for (const t of targets) t.profile.videoCodecs = o.videoCodecs;
  const monitors = new MonitorMappingSource(o.monitorMapping, new SettingsStore(settingsDir(), { warn: o.warn }));
  for (const t of targets) t.monitors = monitors;
  const gateway: Gateway = await startGateway({
    host,
    port,
    // dist/renderer beside the bundled CLI (dist/cli.cjs); scripts/build.mjs builds both.
    assetsDir: join(__dirname, 'renderer'),
    targets,
    logger: o.logger,
    linkTimeoutMs: o.timeoutMs,
  });
  o.out(`${gateway.url}\n`);
  for (const [i, t] of targets.entries()) o.out(`target ${i}: ${t.label} (${t.plan.where})${i === 0 ? '' : `: ${gateway.url}#target=${i}`}\n`);
  if (!/^(127\.|::1$)/.test(host)) {
    o.warn(`listening on ${host}, not on loopback: anyone who can reach this port and learns the URL can use these SPICE targets, and the connection is not encrypted`);
  }
  o.out('open the URL in a browser; press Ctrl+C to stop\n');
  // The browser's command line is readable by every local user: it gets a one-time link, not the token.
  if (o.open) openInBrowser(gateway.launchUrl(), o.warn);
  try {
    await (o.until ?? untilSignal());
  } finally {
    await gateway.close();
  }
}
