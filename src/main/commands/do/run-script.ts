// Runs a `do` script: every action prepared before connecting (so a missing PNG or file costs no
// connection), one session linked with what the actions need, the actions in order, and with
// --reconnect a new session after a drop (SessionKeeper), repeating the interrupted action when
// its definition says that is harmless.
import type { Logger } from '../../../protocol/logger.ts';
import { sharedDirPorts, type SharedDirSetting } from '../../webdav/shared-dir.ts';
import { printPorts, type PrintSetting } from '../../printing/print-setting.ts';
import { ChannelType } from '../../../protocol/link/constants.ts';
import { openSession, type OpenedSession } from '../../connect/open-session.ts';
import { ExitCode } from '../../node/exit-codes.ts';
import { SessionKeeper } from '../../reconnect/session-keeper.ts';
import type { CaFile } from '../../transport/tls-ca-file.ts';
import { sleep, type DoStep, type ScriptNeed } from './action.ts';
import { prepareConnection, type ScriptConnection, type ScriptSettings } from './script-connection.ts';
import type { UsbDeviceSource } from '../../usb/device-source.ts';
import { usbWantedAtConnect, type UsbCommandLine } from '../../usb/usb-policy.ts';

/** A parsed `do` command line (do-command.ts). */
export interface DoCommandLine {
  target: string;
  actions: DoStep[];
  /** Time allowed to connect, and for `capture` to get a first frame. */
  timeoutMs: number;
  displayId: number;
  verbose: boolean;
  debug: boolean;
  help: boolean;
  /** --reconnect: a dropped connection is linked again and the script goes on. */
  reconnect: boolean;
  /** How long after a drop to keep trying (--reconnect-timeout). */
  reconnectTimeoutMs: number;
  /** --spice-ca-file as given; read before connecting. */
  caFile?: string;
  /** --memory-limit in bytes (undefined: the default). */
  memoryLimit?: number;
  /** --video-codecs: the codec order to ask the server for. */
  videoCodecs?: number[];
  /** --spice-shared-dir (and -ro): the folder shared with the guest while the script runs. */
  sharedDir?: SharedDirSetting;
  /** --spice-share-cd and the usbredir filters: the VM's USB slots are linked for the whole script. */
  usb?: UsbCommandLine;
  /** --print-to: where the guest's print jobs go while the script runs (none: off). */
  print?: PrintSetting;
}

export interface DoOptions {
  line: DoCommandLine;
  logger: Logger;
  warn: (line: string) => void;
  /** Where the reason for a failed action goes (one line). */
  fail: (line: string) => void;
  /** Where clip-get prints; default standard output. */
  out?: (text: string) => void;
  /** Where send reports progress and each failed file; default standard error. */
  progress?: (line: string) => void;
  caFile?: CaFile;
  /** The machine's USB devices for usb-attach; default the `usb` package (API-level tests only). */
  usbHostSource?: () => UsbDeviceSource;
  /** The OS-held HID devices (node-hid) for usb-attach hid:...; default node-hid itself (API-level tests give a fake). */
  usbHidSource?: () => UsbDeviceSource;
}

/** Time for the last input to leave the socket before the connection is torn down. */
const INPUT_FLUSH_MS = 200;

export async function runScript(o: DoOptions): Promise<number> {
  const { line, logger } = o;
  for (const step of line.actions) await step.prepare();
  const needs = new Set<ScriptNeed>(line.actions.flatMap((a) => a.needs));
  if (line.usb && usbWantedAtConnect(line.usb)) needs.add('usb');
  const stderrLine = (text: string): void => void process.stderr.write(`${text}\n`);
  const settings: ScriptSettings = {
    displayId: line.displayId,
    timeoutMs: line.timeoutMs,
    logger,
    out: o.out ?? ((text) => void process.stdout.write(text)),
    progress: o.progress ?? stderrLine,
    usb: line.usb,
    usbHostSource: o.usbHostSource,
    usbHidSource: o.usbHidSource,
  };
  const opened = await openSession({
    target: line.target,
    timeoutMs: line.timeoutMs,
    logger,
    warn: o.warn,
    caFile: o.caFile,
    memoryLimit: line.memoryLimit,
    videoCodecs: line.videoCodecs,
    ports: { ...sharedDirPorts(line.sharedDir, logger), ...printPorts(line.print, logger) },
    shouldLink: (c) =>
      (needs.has('inputs') && c.type === ChannelType.INPUTS && c.id === 0) ||
      (needs.has('display') && c.type === ChannelType.DISPLAY && c.id === line.displayId) ||
      (needs.has('playback') && c.type === ChannelType.PLAYBACK && c.id === 0) ||
      (needs.has('record') && c.type === ChannelType.RECORD && c.id === 0) ||
      // Which port is the monitor is known only from each port's PORT_INIT: every port is linked.
      (needs.has('qmp') && c.type === ChannelType.PORT) ||
      (needs.has('usb') && c.type === ChannelType.USBREDIR) ||
      // A shared folder is served for as long as the script runs.
      (line.sharedDir !== undefined && c.type === ChannelType.WEBDAV) ||
      // Printing takes jobs on its port for as long as the script runs.
      (line.print !== undefined && c.type === ChannelType.PORT),
    // A script watches the screen change: compressed images will come.
    prestartDecoders: needs.has('display'),
  });
  const prepare = (s: OpenedSession): Promise<ScriptConnection> => prepareConnection(s, needs, settings);
  const first = await prepare(opened);
  const keeper = new SessionKeeper(first, {
    where: opened.where,
    reconnect: line.reconnect,
    relink: async () => prepare(await opened.relink()),
    budgetMs: line.reconnectTimeoutMs,
    notify: o.progress ?? stderrLine,
    logger,
  });
  try {
    for (const [index, step] of line.actions.entries()) {
      logger.info({ action: step.name, index }, 'action');
      // An action that needs no connection (wait) runs on whatever happens to it meanwhile.
      const failure = await keeper.run(step.name, { repeatable: step.repeatable, needsConnection: step.needs.length > 0 }, (c) => step.run(c));
      if (failure) {
        if (failure.message) o.fail(failure.message);
        return failure.code;
      }
    }
    return ExitCode.OK;
  } finally {
    keeper.stop();
    const last = keeper.latest;
    const inputs = last.inputsChannel;
    if (inputs && !keeper.hasLost(last)) {
      inputs.releaseAll();
      await Promise.race([inputs.whenSent(), sleep(1000)]);
      await sleep(INPUT_FLUSH_MS);
    } else if (needs.has('agent')) {
      await sleep(INPUT_FLUSH_MS);
    }
    if (needs.has('usb') && !keeper.hasLost(last)) await last.usb.end();
    // Awaited: the process may exit next, and a display connection must not end too early.
    await last.session.close();
  }
}
