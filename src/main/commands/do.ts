// `spicedesk do TARGET ACTION...`: runs actions in order on one connection, as vncdotool does for
// VNC: type text, press key combinations, move and click the mouse, wait, capture the screen, and
// wait until the screen matches a PNG. Every action is parsed (and every expected PNG read) before
// connecting, so a typo costs no connection.
import { readFile } from 'node:fs/promises';
import type { SpiceChannel } from '../../protocol/channel/channel.ts';
import { DisplayChannel } from '../../protocol/channels/display/display-channel.ts';
import type { SurfaceSnapshot } from '../../protocol/display/display-pipeline.ts';
import { InputsChannel } from '../../protocol/channels/inputs/inputs-channel.ts';
import { buttonMask, LockModifier, MouseButton } from '../../protocol/channels/inputs/inputs-messages.ts';
import { buildMouseModeRequest, MainMsgc, MouseMode } from '../../protocol/channels/main/main-messages.ts';
import { parseKeyCombo } from '../../protocol/input/key-combo.ts';
import type { KeyStep } from '../../protocol/input/key-steps.ts';
import { textToKeySteps } from '../../protocol/input/text-keys.ts';
import { ChannelType } from '../../protocol/link/constants.ts';
import type { Logger } from '../../protocol/logger.ts';
import type { Session } from '../../protocol/session/session.ts';
import { SpiceError } from '../../protocol/wire/errors.ts';
import { ExitCode } from '../node/exit-codes.ts';
import { writeSurfacePng } from '../node/png.ts';
import { decodePng, type RgbaPng } from '../node/png-decode.ts';
import { AgentActions, checkFilesToSend, parseHeadSizes, type HeadSize } from './do-agent.ts';
import { openSession, type OpenedSession } from '../connect/open-session.ts';
import type { Deadline } from '../node/deadline.ts';
import { SessionKeeper } from '../reconnect/session-keeper.ts';
import type { CaFile } from '../transport/tls-ca-file.ts';

export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

export type DoAction =
  | { kind: 'type'; text: string }
  | { kind: 'key' | 'keydown' | 'keyup'; combo: string; steps: KeyStep[] }
  | { kind: 'move'; x: number; y: number }
  | { kind: 'click' | 'mousedown' | 'mouseup'; button: number }
  | { kind: 'wait'; ms: number }
  | { kind: 'capture'; file: string }
  | { kind: 'expect'; file: string; region?: Region; timeoutMs: number }
  | { kind: 'clip-set'; text: string }
  | { kind: 'clip-get' }
  | { kind: 'resize'; heads: HeadSize[] }
  | { kind: 'send'; files: string[] };

export interface DoCommandLine {
  target: string;
  actions: DoAction[];
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
  /** --spice-ca-file as given; read by the CLI before connecting. */
  caFile?: string;
}

export const DO_USAGE = `  do [--timeout S] [--display N] [--spice-ca-file FILE] [--reconnect [--reconnect-timeout S]]
          TARGET ACTION...
      run actions in order on one connection:
        type TEXT            type TEXT on a US keyboard layout (a newline in it is Enter)
        key COMBO            press a key combination: enter, ctrl+c, ctrl+alt+delete, shift+f12
        keydown COMBO, keyup COMBO   press or release only
        move X Y             move the pointer to X,Y of display N (default 0)
        click [BUTTON]       left (default), middle, right, wheel-up, wheel-down, side, extra or 1-7
        mousedown [BUTTON], mouseup [BUTTON]
        wait SECONDS         pause (fractions allowed)
        capture FILE.png     write the screen once drawing has paused
        expect FILE.png [--region X,Y,W,H] [--timeout S]
                             wait (default 10 s) until the screen, or the region, equals the PNG;
                             exits 8 if it never does, saying how many pixels differ
      through the guest agent (spice-vdagent in the guest):
        clip-set TEXT        put TEXT on the guest's clipboard; the guest can paste it while the
                             connection lasts, so follow it with wait
        clip-get             print the text on the guest's clipboard (exits 9 when it holds none)
        resize WxH[,WxH...]  set the guest's resolution, one size per head, heads side by side
        send FILE...         copy files into the guest's download folder, with progress on
                             stderr; each failure is reported by file name and the command
                             exits 9 (a file named like an action is written ./NAME)
      --reconnect: when the connection drops (network cut, server restart), say so on stderr,
        link again with backoff (1 s doubling to 30 s) for up to --reconnect-timeout S (default
        60) and go on. An interrupted wait, capture, expect, move, resize, clip-set or clip-get
        is repeated; an interrupted type, key, keydown, keyup, click, mousedown, mouseup or send
        is not (part of it may have reached the guest): exit 3`;

const buttonNames: Record<string, number> = {
  left: MouseButton.LEFT,
  middle: MouseButton.MIDDLE,
  right: MouseButton.RIGHT,
  'wheel-up': MouseButton.UP,
  'wheel-down': MouseButton.DOWN,
  side: MouseButton.SIDE,
  extra: MouseButton.EXTRA,
};
for (let b = 1; b <= 7; b++) buttonNames[String(b)] = b;

const actionNames = ['type', 'key', 'keydown', 'keyup', 'move', 'click', 'mousedown', 'mouseup', 'wait', 'capture', 'expect', 'clip-set', 'clip-get', 'resize', 'send'];
const agentActionKinds = ['clip-set', 'clip-get', 'resize', 'send'];

function usage(message: string): SpiceError {
  return new SpiceError('usage', message);
}

function wholeNumber(value: string | undefined, what: string, max: number): number {
  if (value === undefined || !/^\d+$/.test(value) || Number(value) > max) {
    throw usage(`${what} must be a whole number from 0 to ${max}, got ${value === undefined ? 'nothing' : `"${value}"`}`);
  }
  return Number(value);
}

function seconds(value: string | undefined, what: string, max: number, min = 0): number {
  if (value === undefined || !/^(\d+(\.\d*)?|\.\d+)$/.test(value) || Number(value) > max || Number(value) < min) {
    throw usage(`${what} must be a number of seconds from ${min} to ${max}, got ${value === undefined ? 'nothing' : `"${value}"`}`);
  }
  return Math.round(Number(value) * 1000);
}

function parseRegion(value: string | undefined): Region {
  const m = value === undefined ? null : /^(\d+),(\d+),(\d+),(\d+)$/.exec(value);
  if (!m) throw usage(`expect --region must be X,Y,WIDTH,HEIGHT in pixels, e.g. 0,0,200,100, got ${value === undefined ? 'nothing' : `"${value}"`}`);
  const [x, y, width, height] = m.slice(1).map(Number);
  if (width === 0 || height === 0) throw usage(`expect --region ${value}: width and height must be at least 1`);
  if (x + width > 65535 || y + height > 65535) throw usage(`expect --region ${value} is larger than any screen`);
  return { x, y, width, height };
}

/**
 * Parses `TARGET ACTION...` with the global options allowed wherever an action may start (so the
 * text of `type` may itself start with "-"). Throws a usage SpiceError naming the bad part.
 */
export function parseDoArgs(args: string[]): DoCommandLine {
  const line: DoCommandLine = { target: '', actions: [], timeoutMs: 10_000, displayId: 0, verbose: false, debug: false, help: false, reconnect: false, reconnectTimeoutMs: 60_000 };
  let reconnectTimeoutGiven = false;
  let target: string | undefined;
  let i = 0;
  const next = (): string | undefined => args[i++];
  while (i < args.length) {
    const word = next()!;
    switch (word) {
      case '-v':
      case '--verbose':
        line.verbose = true;
        continue;
      case '--debug':
        line.debug = true;
        continue;
      case '-h':
      case '--help':
        line.help = true;
        continue;
      case '--timeout':
        line.timeoutMs = wholeNumber(next(), '--timeout', 3600) * 1000;
        if (line.timeoutMs === 0) throw usage('--timeout must be at least 1 second');
        continue;
      case '--display':
        line.displayId = wholeNumber(next(), '--display', 255);
        continue;
      case '--reconnect':
        line.reconnect = true;
        continue;
      case '--reconnect-timeout':
        line.reconnectTimeoutMs = wholeNumber(next(), '--reconnect-timeout', 86_400) * 1000;
        if (line.reconnectTimeoutMs === 0) throw usage('--reconnect-timeout must be at least 1 second');
        reconnectTimeoutGiven = true;
        continue;
      case '--spice-ca-file':
        line.caFile = next();
        if (line.caFile === undefined) throw usage('--spice-ca-file needs a FILE');
        continue;
    }
    if (target === undefined) {
      if (word.startsWith('-') && word !== '-') throw usage(`unknown option "${word}" for do`);
      target = word;
      continue;
    }
    line.actions.push(parseAction(word, args, () => i, (n) => (i = n)));
  }
  if (line.help) return line;
  if (reconnectTimeoutGiven && !line.reconnect) throw usage('--reconnect-timeout needs --reconnect');
  if (target === undefined) throw usage('do needs a TARGET (a spice:// URI, a .vv file or -) and then actions');
  if (line.actions.length === 0) throw usage(`do needs at least one action after the TARGET: ${actionNames.join(', ')}`);
  line.target = target;
  return line;
}

function parseAction(word: string, args: string[], at: () => number, seek: (n: number) => void): DoAction {
  let i = at();
  const arg = (what: string): string => {
    if (i >= args.length) throw usage(`${word} needs ${what}`);
    return args[i++];
  };
  const optionalButton = (): number => {
    const candidate = args[i]?.toLowerCase();
    if (candidate !== undefined && Object.hasOwn(buttonNames, candidate)) {
      i++;
      return buttonNames[candidate];
    }
    if (candidate !== undefined && !actionNames.includes(candidate) && !candidate.startsWith('-')) {
      throw usage(`${word}: unknown button "${args[i]}"; buttons are ${Object.keys(buttonNames).filter((n) => !/^\d$/.test(n)).join(', ')} or 1-7`);
    }
    return MouseButton.LEFT;
  };
  let action: DoAction;
  switch (word.toLowerCase()) {
    case 'type': {
      const text = arg('the TEXT to type');
      try {
        textToKeySteps(text);
      } catch (e) {
        throw usage(`type: ${(e as Error).message}`);
      }
      action = { kind: 'type', text };
      break;
    }
    case 'key':
    case 'keydown':
    case 'keyup': {
      const combo = arg('a key COMBO such as enter, ctrl+c or ctrl+alt+delete');
      let steps: KeyStep[];
      try {
        steps = parseKeyCombo(combo);
      } catch (e) {
        throw usage(`${word}: ${(e as Error).message}`);
      }
      action = { kind: word.toLowerCase() as 'key' | 'keydown' | 'keyup', combo, steps };
      break;
    }
    case 'move': {
      const x = wholeNumber(arg('X and Y'), 'move X', 65535);
      const y = wholeNumber(arg('X and Y'), 'move Y', 65535);
      action = { kind: 'move', x, y };
      break;
    }
    case 'click':
    case 'mousedown':
    case 'mouseup':
      action = { kind: word.toLowerCase() as 'click' | 'mousedown' | 'mouseup', button: optionalButton() };
      break;
    case 'wait':
      action = { kind: 'wait', ms: seconds(arg('SECONDS'), 'wait', 86_400) };
      break;
    case 'capture': {
      const file = arg('an output FILE.png');
      action = { kind: 'capture', file };
      break;
    }
    case 'expect': {
      const file = arg('a FILE.png to compare the screen with');
      const expectAction: DoAction & { kind: 'expect' } = { kind: 'expect', file, timeoutMs: 10_000 };
      for (;;) {
        if (args[i] === '--region') {
          i++;
          expectAction.region = parseRegion(args[i++]);
        } else if (args[i] === '--timeout') {
          i++;
          expectAction.timeoutMs = seconds(args[i++], 'expect --timeout', 3600, 0.1);
        } else break;
      }
      action = expectAction;
      break;
    }
    case 'clip-set':
      action = { kind: 'clip-set', text: arg('the TEXT to put on the guest clipboard') };
      break;
    case 'clip-get':
      action = { kind: 'clip-get' };
      break;
    case 'resize':
      try {
        action = { kind: 'resize', heads: parseHeadSizes(arg('a size per head: WxH[,WxH...], e.g. 1280x720')) };
      } catch (e) {
        if (e instanceof SpiceError) throw usage(e.message);
        throw e;
      }
      break;
    case 'send': {
      const files: string[] = [];
      while (i < args.length && !actionNames.includes(args[i].toLowerCase())) files.push(args[i++]);
      if (files.length === 0) throw usage('send needs at least one FILE');
      action = { kind: 'send', files };
      break;
    }
    default:
      throw usage(`unknown action "${word}"; actions are ${actionNames.join(', ')} (run spicedesk --help)`);
  }
  seek(i);
  return action;
}

export interface DoOptions {
  line: DoCommandLine;
  logger: Logger;
  warn: (line: string) => void;
  /** Where the reason for a failed `expect` goes (one line). */
  fail: (line: string) => void;
  /** Where clip-get prints; default standard output. */
  out?: (text: string) => void;
  /** Where send reports progress and each failed file; default standard error. */
  progress?: (line: string) => void;
  caFile?: CaFile;
}

/** How long drawing must pause before `capture` takes the screen, and the most it waits for that. */
const CAPTURE_QUIET_MS = 150;
const CAPTURE_QUIET_LIMIT_MS = 3000;
/** Time for the last input to leave the socket before the connection is torn down. */
const INPUT_FLUSH_MS = 200;

export async function runDo(o: DoOptions): Promise<number> {
  const { line, logger } = o;
  const expected = await loadExpectedImages(line.actions);
  for (const a of line.actions) if (a.kind === 'send') await checkFilesToSend(a.files);
  const needsInputs = line.actions.some((a) => ['type', 'key', 'keydown', 'keyup', 'move', 'click', 'mousedown', 'mouseup'].includes(a.kind));
  const needsDisplay = line.actions.some((a) => a.kind === 'capture' || a.kind === 'expect');
  const opened = await openSession({
    target: line.target,
    timeoutMs: line.timeoutMs,
    logger,
    warn: o.warn,
    caFile: o.caFile,
    shouldLink: (c) => (needsInputs && c.type === ChannelType.INPUTS && c.id === 0) || (needsDisplay && c.type === ChannelType.DISPLAY && c.id === line.displayId),
    // A script watches the screen change: compressed images will come.
    prestartDecoders: needsDisplay,
  });
  const prepare = (s: OpenedSession): Promise<ScriptConnection> => prepareConnection(s, o, needsInputs, needsDisplay);
  const first = await prepare(opened);
  const stderrLine = (text: string): void => void process.stderr.write(`${text}\n`);
  const keeper = new SessionKeeper(first, {
    where: opened.where,
    reconnect: line.reconnect,
    relink: async () => prepare(await opened.relink()),
    budgetMs: line.reconnectTimeoutMs,
    notify: o.progress ?? stderrLine,
    logger,
  });
  try {
    for (const [index, action] of line.actions.entries()) {
      logger.info({ action: action.kind, index }, 'action');
      const expectedImage = expected.get(action) ?? null;
      const run = (c: ScriptConnection): Promise<number | null> => runAction(c, action, expectedImage, o);
      // A wait needs no connection: a drop during it is repaired in the background meanwhile.
      const code = await keeper.run(action.kind, { repeatable: repeatableActions.has(action.kind), needsConnection: action.kind !== 'wait' }, run);
      if (code !== null) return code;
    }
    return ExitCode.OK;
  } finally {
    keeper.stop();
    const last = keeper.latest;
    if (last.inputs && !keeper.hasLost(last)) {
      last.inputs.releaseAll();
      await Promise.race([last.inputs.whenSent(), sleep(1000)]);
      await sleep(INPUT_FLUSH_MS);
    } else if (line.actions.some((a) => agentActionKinds.includes(a.kind))) {
      await sleep(INPUT_FLUSH_MS);
    }
    last.session.close();
  }
}

/** One session made ready for the script: its channels, mouse mode and action runners. */
interface ScriptConnection {
  session: Session;
  inputs: InputsChannel | null;
  runner: ActionRunner;
  agent: AgentActions;
}

async function prepareConnection(opened: OpenedSession, o: DoOptions, needsInputs: boolean, needsDisplay: boolean): Promise<ScriptConnection> {
  const { session, where, deadline } = opened;
  const { line, logger } = o;
  try {
    const display = needsDisplay ? await linkedChannel(session, ChannelType.DISPLAY, line.displayId, deadline, where) : null;
    const inputs = needsInputs ? await prepareInputs(session, deadline, where, line, logger) : null;
    if (display && !(display instanceof DisplayChannel)) throw new SpiceError('internal', 'the display channel was linked without its drawing');
    const mouse = inputs ? await chooseMouseMode(session, line.actions, logger) : null;
    const runner = new ActionRunner(session, inputs, mouse, display, line, where, deadline, logger);
    const agent = new AgentActions(session, where, deadline, line.timeoutMs, {
      out: o.out ?? ((text) => void process.stdout.write(text)),
      progress: o.progress ?? ((text) => void process.stderr.write(`${text}\n`)),
    }, logger);
    return { session, inputs, runner, agent };
  } catch (e) {
    session.close();
    throw e;
  }
}

/** Runs one action: null when it worked, else the exit code (its reason printed). */
async function runAction(c: ScriptConnection, action: DoAction, expected: RgbaPng | null, o: DoOptions): Promise<number | null> {
  if (agentActionKinds.includes(action.kind)) {
    const failure = await runAgentAction(c.agent, action);
    if (failure === null) return null;
    if (failure) o.fail(failure);
    return ExitCode.AGENT_ACTION_FAILED;
  }
  const failure = await c.runner.run(action, expected);
  if (!failure) return null;
  o.fail(failure);
  return ExitCode.EXPECT_FAILED;
}

/**
 * Actions that can run again on a new connection when the connection drops under them: they only
 * look, or put the guest in a state that a second time leaves the same. Keys, clicks and files
 * may have partly reached the guest: doing them again could type twice.
 */
const repeatableActions = new Set<DoAction['kind']>(['wait', 'capture', 'expect', 'move', 'resize', 'clip-set', 'clip-get']);

/**
 * Runs a clip-set, clip-get, resize or send: null when it worked, else the line to print (empty
 * when it was printed already, as send does for each failed file).
 */
async function runAgentAction(agent: AgentActions, action: DoAction): Promise<string | null> {
  switch (action.kind) {
    case 'clip-set':
      await agent.clipSet(action.text);
      return null;
    case 'clip-get':
      return agent.clipGet();
    case 'resize':
      await agent.resize(action.heads);
      return null;
    case 'send':
      return (await agent.send(action.files)).length > 0 ? '' : null;
    default:
      throw new SpiceError('internal', `${action.kind} is not an agent action`);
  }
}

async function loadExpectedImages(actions: DoAction[]): Promise<Map<DoAction, RgbaPng>> {
  const images = new Map<DoAction, RgbaPng>();
  for (const a of actions) {
    if (a.kind !== 'expect') continue;
    let bytes: Uint8Array;
    try {
      bytes = await readFile(a.file);
    } catch (e) {
      throw usage(`expect: cannot read ${a.file}: ${(e as Error).message}`);
    }
    let image: RgbaPng;
    try {
      image = decodePng(bytes);
    } catch (e) {
      throw usage(`expect: ${a.file} is not a PNG spicedesk can read: ${(e as Error).message}`);
    }
    const r = a.region;
    if (r && !(image.width === r.width && image.height === r.height) && (image.width < r.x + r.width || image.height < r.y + r.height)) {
      throw usage(
        `expect: ${a.file} is ${image.width}x${image.height}; with --region ${r.x},${r.y},${r.width},${r.height} it must be ${r.width}x${r.height}, ` +
          `or a whole screen that contains the region`,
      );
    }
    images.set(a, image);
  }
  return images;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The channel once it is linked; a usage or protocol error when the server has none or it fails. */
async function linkedChannel(session: Session, type: number, id: number, deadline: Deadline, where: string): Promise<SpiceChannel> {
  const name = type === ChannelType.DISPLAY ? `display ${id}` : 'an inputs channel';
  const listed = session.main.info.channels.some((c) => c.type === type && c.id === id);
  if (!listed) {
    if (type === ChannelType.DISPLAY) {
      const ids = session.main.info.channels.filter((c) => c.type === ChannelType.DISPLAY).map((c) => c.id);
      throw usage(`${where} has no display ${id} (it has ${ids.length ? `display ${ids.join(', ')}` : 'no display channel'})`);
    }
    throw new SpiceError('protocol', `${where} offers no inputs channel, so spicedesk cannot send keys or mouse input to it`);
  }
  const key = `${type}:${id}`;
  const ready = new Promise<SpiceChannel>((resolve, reject) => {
    const check = (): boolean => {
      const status = session.status.get(key);
      const channel = session.channels.get(key);
      if (status?.state === 'linked' && channel) {
        resolve(channel);
        return true;
      }
      if (status?.state === 'failed') {
        reject(status.error);
        return true;
      }
      return false;
    };
    if (check()) return;
    const offs = [
      session.events.on('channel-linked', () => check() && offs.forEach((off) => off())),
      session.events.on('channel-error', () => check() && offs.forEach((off) => off())),
      session.events.on('closed', ({ error }) => {
        offs.forEach((off) => off());
        reject(error ?? new SpiceError('protocol', `the session with ${where} closed`));
      }),
    ];
  });
  return deadline.race(ready, () => new SpiceError('timeout', `${where} did not link ${name} in time`));
}

async function prepareInputs(session: Session, deadline: Deadline, where: string, line: DoCommandLine, logger: Logger): Promise<InputsChannel> {
  const channel = await linkedChannel(session, ChannelType.INPUTS, 0, deadline, where);
  if (!(channel instanceof InputsChannel)) throw new SpiceError('internal', 'the inputs channel was linked without its input handling');
  // The server reports the guest's lock keys right after the link; typing needs Caps Lock's state.
  if (channel.modifiers === null && line.actions.some((a) => a.kind === 'type')) {
    await Promise.race([new Promise<void>((resolve) => channel.events.on('modifiers', () => resolve())), sleep(1000)]);
  }
  logger.info({ modifiers: channel.modifiers }, 'inputs channel ready');
  return channel;
}

type MouseModeName = 'client' | 'server';

/**
 * Client mode (absolute positions) when the server grants it, asked for when it is offered but
 * not current; otherwise server mode, where `move` can only work relative to a corner.
 */
async function chooseMouseMode(session: Session, actions: DoAction[], logger: Logger): Promise<MouseModeName | null> {
  if (!actions.some((a) => a.kind === 'move' || a.kind === 'click' || a.kind === 'mousedown' || a.kind === 'mouseup')) return null;
  const info = session.main.info;
  if (info.currentMouseMode === MouseMode.CLIENT) return 'client';
  if (info.supportedMouseModes & MouseMode.CLIENT) {
    const granted = new Promise<boolean>((resolve) => {
      const off = session.main.events.on('mouse-mode', ({ current }) => {
        if (current === MouseMode.CLIENT) {
          off();
          resolve(true);
        }
      });
      void sleep(2000).then(() => {
        off();
        resolve(false);
      });
    });
    session.main.send(MainMsgc.MOUSE_MODE_REQUEST, buildMouseModeRequest(MouseMode.CLIENT));
    if (await granted) return 'client';
  }
  logger.warn('the server uses the server mouse mode: `move` homes the pointer in the top-left corner and moves from there, so guest pointer acceleration makes it inexact');
  return 'server';
}

/** Distance that surely takes a relative pointer into the top-left corner. */
const HOME_MOTION = -16384;

class ActionRunner {
  private buttons = 0;

  constructor(
    private readonly session: Session,
    private readonly inputs: InputsChannel | null,
    private readonly mouseMode: MouseModeName | null,
    private readonly display: DisplayChannel | null,
    private readonly line: DoCommandLine,
    private readonly where: string,
    private readonly deadline: Deadline,
    private readonly logger: Logger,
  ) {}

  /** Runs one action; returns the reason when an `expect` failed. */
  async run(action: DoAction, expected: RgbaPng | null): Promise<string | null> {
    switch (action.kind) {
      case 'type': {
        const capsLock = ((this.inputs!.modifiers ?? 0) & LockModifier.CAPS_LOCK) !== 0;
        await this.keys(textToKeySteps(action.text, { capsLock }));
        return null;
      }
      case 'key':
        await this.keys(action.steps);
        return null;
      case 'keydown':
        await this.keys(action.steps.filter((s) => s.down));
        return null;
      case 'keyup':
        await this.keys(action.steps.filter((s) => !s.down));
        return null;
      case 'move':
        await this.move(action.x, action.y);
        return null;
      case 'click':
        this.press(action.button);
        this.release(action.button);
        await this.inputs!.whenSent();
        return null;
      case 'mousedown':
        this.press(action.button);
        await this.inputs!.whenSent();
        return null;
      case 'mouseup':
        this.release(action.button);
        await this.inputs!.whenSent();
        return null;
      case 'wait':
        await sleep(action.ms);
        return null;
      case 'capture':
        await this.capture(action.file);
        return null;
      case 'expect':
        return this.expect(action, expected!);
      default:
        throw new SpiceError('internal', `${action.kind} is run by the agent actions`);
    }
  }

  private async keys(steps: KeyStep[]): Promise<void> {
    const inputs = this.inputs!;
    for (const s of steps) {
      if (s.down) inputs.keyDown(s.scancode);
      else inputs.keyUp(s.scancode);
    }
    await inputs.whenSent();
  }

  private async move(x: number, y: number): Promise<void> {
    const inputs = this.inputs!;
    if (this.mouseMode === 'client') {
      inputs.mousePosition(x, y, this.buttons, this.line.displayId);
    } else {
      inputs.mouseMotion(HOME_MOTION, HOME_MOTION, this.buttons);
      await inputs.whenSent();
      inputs.mouseMotion(x, y, this.buttons);
    }
    await inputs.whenSent();
  }

  /** Wheel "buttons" are events, not held state: they never enter the buttons mask (as in spice-gtk). */
  private maskOf(button: number): number {
    return button === MouseButton.UP || button === MouseButton.DOWN ? 0 : buttonMask(button);
  }

  private press(button: number): void {
    this.buttons |= this.maskOf(button);
    this.inputs!.mousePress(button, this.buttons);
  }

  private release(button: number): void {
    this.buttons &= ~this.maskOf(button);
    this.inputs!.mouseRelease(button, this.buttons);
  }

  /** The first frame, bounded by the command's timeout. */
  private async firstFrame(limitMs: number): Promise<DisplayChannel> {
    const display = this.display!;
    if (display.marked) return display;
    const marked = new Promise<void>((resolve, reject) => {
      const offs = [
        display.events.on('mark', () => {
          offs.forEach((off) => off());
          resolve();
        }),
        this.session.events.on('closed', ({ error }) => reject(error ?? new SpiceError('protocol', `the session with ${this.where} closed`))),
      ];
    });
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new SpiceError('timeout', `no complete frame from display ${this.line.displayId} of ${this.where} within ${Math.round(limitMs / 1000)} s`)), limitMs),
    );
    await Promise.race([marked, timeout]);
    return display;
  }

  private async snapshot(display: DisplayChannel): Promise<SurfaceSnapshot> {
    const surface = await display.snapshot();
    if (!surface) throw new SpiceError('protocol', `display ${this.line.displayId} of ${this.where} has no primary surface`);
    return surface;
  }

  private async capture(file: string): Promise<void> {
    const display = await this.firstFrame(Math.max(1000, this.deadline.at - Date.now()));
    await quiet(display, CAPTURE_QUIET_MS, CAPTURE_QUIET_LIMIT_MS);
    const surface = await this.snapshot(display);
    await writeSurfacePng(file, surface).catch((e: Error) => {
      throw usage(`capture: cannot write ${file}: ${e.message}`);
    });
    this.logger.info({ file, size: [surface.width, surface.height] }, 'captured');
  }

  private async expect(action: DoAction & { kind: 'expect' }, expected: RgbaPng): Promise<string | null> {
    const started = Date.now();
    const end = started + action.timeoutMs;
    let display: DisplayChannel;
    try {
      display = await this.firstFrame(action.timeoutMs);
    } catch (e) {
      if (e instanceof SpiceError && e.kind === 'timeout') return `expect ${action.file}: no frame from the server within ${action.timeoutMs / 1000} s`;
      throw e;
    }
    let drawn = true;
    const off = display.events.on('invalidate', () => (drawn = true));
    try {
      let last: Comparison | null = null;
      for (;;) {
        if (drawn || !last) {
          drawn = false;
          last = compareScreen(await this.snapshot(display), expected, action.region);
          if (last.differing === 0 && !last.problem) {
            this.logger.info({ file: action.file, ms: Date.now() - started }, 'screen matches');
            return null;
          }
        }
        const left = end - Date.now();
        if (left <= 0) break;
        await waitForDrawing(display, Math.min(left, 250));
      }
      if (drawn) last = compareScreen(await this.snapshot(display), expected, action.region);
      if (last.differing === 0 && !last.problem) return null;
      const what = action.region ? `region ${action.region.x},${action.region.y},${action.region.width},${action.region.height} of the screen` : 'the screen';
      const why = last.problem ?? `${last.differing} of ${last.total} pixels differ`;
      return `expect ${action.file}: ${what} did not match within ${action.timeoutMs / 1000} s: ${why}`;
    } finally {
      off();
    }
  }
}

/** Resolves once no drawing has come for `quietMs`, or after `limitMs` at most. */
function quiet(display: DisplayChannel, quietMs: number, limitMs: number): Promise<void> {
  return new Promise((resolve) => {
    let timer = setTimeout(done, quietMs);
    const limit = setTimeout(done, limitMs);
    const off = display.events.on('invalidate', () => {
      clearTimeout(timer);
      timer = setTimeout(done, quietMs);
    });
    function done(): void {
      clearTimeout(timer);
      clearTimeout(limit);
      off();
      resolve();
    }
  });
}

/** Resolves at the next drawing, or after `ms`. */
function waitForDrawing(display: DisplayChannel, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    const off = display.events.on('invalidate', done);
    function done(): void {
      clearTimeout(timer);
      off();
      resolve();
    }
  });
}

export interface Comparison {
  differing: number;
  total: number;
  /** Set when the images cannot be compared at all (sizes). */
  problem?: string;
}

/**
 * Compares the screen, or a region of it, with a PNG: RGB only, alpha ignored. With a region the
 * PNG is either exactly the region's size or a whole screen whose same region is compared.
 */
export function compareScreen(screen: SurfaceSnapshot, expected: RgbaPng, region?: Region): Comparison {
  const r = region ?? { x: 0, y: 0, width: screen.width, height: screen.height };
  if (r.x + r.width > screen.width || r.y + r.height > screen.height) {
    return { differing: 0, total: r.width * r.height, problem: `the region reaches beyond the ${screen.width}x${screen.height} screen` };
  }
  let ox: number;
  let oy: number;
  if (expected.width === r.width && expected.height === r.height) {
    ox = 0;
    oy = 0;
  } else if (region && expected.width >= r.x + r.width && expected.height >= r.y + r.height) {
    ox = r.x;
    oy = r.y;
  } else {
    return { differing: 0, total: r.width * r.height, problem: `the screen is ${screen.width}x${screen.height} and the PNG ${expected.width}x${expected.height}` };
  }
  let differing = 0;
  const px = expected.rgba;
  for (let y = 0; y < r.height; y++) {
    let s = (r.y + y) * screen.width + r.x;
    let e = ((oy + y) * expected.width + ox) * 4;
    for (let x = 0; x < r.width; x++, s++, e += 4) {
      const word = screen.data[s];
      if (((word >>> 16) & 0xff) !== px[e] || ((word >>> 8) & 0xff) !== px[e + 1] || (word & 0xff) !== px[e + 2]) differing++;
    }
  }
  return { differing, total: r.width * r.height };
}
