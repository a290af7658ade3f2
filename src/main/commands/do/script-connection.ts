// One session of a `do` script made ready for its actions: the channels they need linked, the
// mouse mode chosen, and the keyboard, mouse, screen and agent access they run with. A reconnect
// makes a new one (held keys and buttons are not pressed again on it).
import type { SpiceChannel } from '../../../protocol/channel/channel.ts';
import { DisplayChannel } from '../../../protocol/channels/display/display-channel.ts';
import type { SurfaceSnapshot } from '../../../protocol/channels/display/display-sink.ts';
import { InputsChannel } from '../../../protocol/channels/inputs/inputs-channel.ts';
import { buttonMask, MouseButton } from '../../../protocol/channels/inputs/inputs-messages.ts';
import type { Agent } from '../../../protocol/channels/main/agent/agent.ts';
import { PlaybackChannel } from '../../../protocol/channels/playback/playback-channel.ts';
import { RecordChannel } from '../../../protocol/channels/record/record-channel.ts';
import { MouseMode } from '../../../protocol/channels/main/main-messages.ts';
import type { KeyStep } from '../../../protocol/input/key-steps.ts';
import { ChannelType } from '../../../protocol/link/constants.ts';
import type { Logger } from '../../../protocol/logger.ts';
import type { Session } from '../../../protocol/session/session.ts';
import { SpiceError } from '../../../protocol/wire/errors.ts';
import type { OpenedSession } from '../../connect/open-session.ts';
import type { Deadline } from '../../node/deadline.ts';
import { withTimeout } from '../../node/with-timeout.ts';
import { DrawingDamage } from '../drawing-damage.ts';
import { VmAccess } from './vm-access.ts';
import { UsbAccess } from './usb-access.ts';
import type { UsbDeviceSource } from '../../usb/device-source.ts';
import { usbPolicyOf, type UsbCommandLine } from '../../usb/usb-policy.ts';
import { sleep, type ScriptAgent, type ScriptContext, type ScriptInputs, type ScriptNeed, type ScriptScreen, type ScriptSound, type ScriptUsb, type ScriptVm } from './action.ts';

/** What the whole script needs, gathered from its actions. */
export type ScriptNeeds = ReadonlySet<ScriptNeed>;

export interface ScriptSettings {
  displayId: number;
  timeoutMs: number;
  logger: Logger;
  /** Where clip-get prints. */
  out: (text: string) => void;
  /** Where send reports progress and each failed file, one line each. */
  progress: (line: string) => void;
  /** The command line's USB options (the .vv keys come with the TARGET). */
  usb?: UsbCommandLine;
  /** The machine's USB devices; default the `usb` package (API-level tests inject simulated ones). */
  usbHostSource?: () => UsbDeviceSource;
  /** The OS-held HID devices; default node-hid (API-level tests give a fake of its API). */
  usbHidSource?: () => UsbDeviceSource;
}

type MouseModeName = 'client' | 'server';

/** The least a snapshot waits for queued drawing, however little is left of --timeout. */
const MIN_DRAW_WAIT_MS = 3000;

/** Distance that surely takes a relative pointer into the top-left corner. */
const HOME_MOTION = -16384;

/** One connection of the script; `session` for the SessionKeeper, the rest for the actions. */
export class ScriptConnection implements ScriptContext {
  readonly agent: ScriptAgent;
  readonly vm: ScriptVm;
  readonly usb: ScriptUsb;

  constructor(
    readonly session: Session,
    readonly where: string,
    readonly deadline: Deadline,
    private readonly settings: ScriptSettings,
    private readonly inputsAccess: ScriptInputs | null,
    private readonly screenAccess: ScriptScreen | null,
    private readonly soundAccess: ScriptSound | null = null,
    profile: OpenedSession['profile'] | null = null,
  ) {
    this.agent = new AgentAccess(session, where, deadline, settings);
    this.vm = new VmAccess(session, where, deadline, settings.timeoutMs, settings.progress);
    this.usb = new UsbAccess(session, where, deadline, {
      policy: usbPolicyOf(profile ?? {}, settings.usb ?? {}), logger: settings.logger, timeoutMs: settings.timeoutMs,
      progress: settings.progress, hostSource: settings.usbHostSource, hidSource: settings.usbHidSource,
    });
  }

  get sound(): ScriptSound {
    if (!this.soundAccess) throw new SpiceError('internal', 'an action used the sound channels without saying it needs them');
    return this.soundAccess;
  }

  get displayId(): number {
    return this.settings.displayId;
  }

  get logger(): Logger {
    return this.settings.logger;
  }

  get inputs(): ScriptInputs {
    if (!this.inputsAccess) throw new SpiceError('internal', 'an action used the inputs channel without saying it needs it');
    return this.inputsAccess;
  }

  get screen(): ScriptScreen {
    if (!this.screenAccess) throw new SpiceError('internal', 'an action used the display without saying it needs it');
    return this.screenAccess;
  }

  /** The inputs channel, when the script uses it (its held keys are released at the end). */
  get inputsChannel(): InputsChannel | null {
    return this.inputsAccess?.channel ?? null;
  }
}

/** Links what the script needs on a new session; closes the session when that fails. */
export async function prepareConnection(opened: OpenedSession, needs: ScriptNeeds, settings: ScriptSettings): Promise<ScriptConnection> {
  const { session, where, deadline } = opened;
  try {
    const display = needs.has('display') ? await linkedChannel(session, ChannelType.DISPLAY, settings.displayId, deadline, where) : null;
    if (display && !(display instanceof DisplayChannel)) throw new SpiceError('internal', 'the display channel was linked without its drawing');
    const inputs = needs.has('inputs') ? await prepareInputs(session, deadline, where, needs, settings.logger) : null;
    const mouse = inputs && needs.has('mouse-mode') ? await chooseMouseMode(session, settings.logger) : null;
    const sound = needs.has('playback') || needs.has('record') ? await prepareSound(session, deadline, where, needs, settings) : null;
    const connection = new ScriptConnection(
      session,
      where,
      deadline,
      settings,
      inputs ? new InputsAccess(inputs, mouse, settings.displayId) : null,
      display ? new ScreenAccess(session, display, where, settings.displayId, deadline) : null,
      sound,
      opened.profile,
    );
    // Slots up before the first action: redirect-on-connect and the shared CD happen now.
    if (needs.has('usb')) await connection.usb.redirector();
    return connection;
  } catch (e) {
    void session.close();
    throw e;
  }
}

/** The channel once it is linked; a usage or protocol error when the server has none or it fails. */
async function linkedChannel(session: Session, type: number, id: number, deadline: Deadline, where: string): Promise<SpiceChannel> {
  const name = type === ChannelType.DISPLAY ? `display ${id}` : (linkedChannelNames[type] ?? `channel type ${type}`);
  const listed = session.main.info.channels.some((c) => c.type === type && c.id === id);
  if (!listed) {
    if (type === ChannelType.DISPLAY) {
      const ids = session.main.info.channels.filter((c) => c.type === ChannelType.DISPLAY).map((c) => c.id);
      throw new SpiceError('usage', `${where} has no display ${id} (it has ${ids.length ? `display ${ids.join(', ')}` : 'no display channel'})`);
    }
    throw new SpiceError('protocol', `${where} offers no ${name}, so spicedesk cannot ${whatNeedsIt[type] ?? 'use it'}`);
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

const linkedChannelNames: Record<number, string> = {
  [ChannelType.INPUTS]: 'inputs channel',
  [ChannelType.PLAYBACK]: 'playback channel',
  [ChannelType.RECORD]: 'record channel',
};

const whatNeedsIt: Record<number, string> = {
  [ChannelType.INPUTS]: 'send keys or mouse input to it',
  [ChannelType.PLAYBACK]: 'hear its sound (listen)',
  [ChannelType.RECORD]: 'send it a microphone (speak; Xspice has no record channel)',
};

/** The playback and/or record channel linked, with what listen and speak wait on. */
async function prepareSound(session: Session, deadline: Deadline, where: string, needs: ScriptNeeds, settings: ScriptSettings): Promise<ScriptSound> {
  const playback = needs.has('playback') ? await linkedChannel(session, ChannelType.PLAYBACK, 0, deadline, where) : null;
  const record = needs.has('record') ? await linkedChannel(session, ChannelType.RECORD, 0, deadline, where) : null;
  if (playback && !(playback instanceof PlaybackChannel)) throw new SpiceError('internal', 'the playback channel was linked without its sound handling');
  if (record && !(record instanceof RecordChannel)) throw new SpiceError('internal', 'the record channel was linked without its microphone handling');
  const ended = new Promise<string>((resolve) => {
    session.events.on('closed', ({ error }) => resolve(error?.message ?? `the session with ${where} closed`));
    session.events.on('channel-error', ({ channel, error }) => {
      if (channel.type === ChannelType.PLAYBACK || channel.type === ChannelType.RECORD) resolve(error.message);
    });
  });
  return {
    get playback(): PlaybackChannel {
      if (!playback) throw new SpiceError('internal', 'an action used the playback channel without saying it needs it');
      return playback;
    },
    get record(): RecordChannel {
      if (!record) throw new SpiceError('internal', 'an action used the record channel without saying it needs it');
      return record;
    },
    ended,
    mediaTime: () => session.main.clock.now() ?? 0,
    timeoutMs: settings.timeoutMs,
    progress: (line) => settings.progress(line),
  };
}

async function prepareInputs(session: Session, deadline: Deadline, where: string, needs: ScriptNeeds, logger: Logger): Promise<InputsChannel> {
  const channel = await linkedChannel(session, ChannelType.INPUTS, 0, deadline, where);
  if (!(channel instanceof InputsChannel)) throw new SpiceError('internal', 'the inputs channel was linked without its input handling');
  // The server reports the guest's lock keys right after the link; typing needs Caps Lock's state.
  if (channel.modifiers === null && needs.has('lock-keys')) {
    await Promise.race([new Promise<void>((resolve) => channel.events.on('modifiers', () => resolve())), sleep(1000)]);
  }
  logger.info({ modifiers: channel.modifiers }, 'inputs channel ready');
  return channel;
}

/**
 * Client mode (absolute positions) when the server grants it (the main channel asks for it
 * whenever it is offered); otherwise server mode, where `move` can only work relative to a corner.
 */
async function chooseMouseMode(session: Session, logger: Logger): Promise<MouseModeName> {
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
    session.main.preferMouseMode(MouseMode.CLIENT);
    if (await granted) return 'client';
  }
  logger.warn('the server uses the server mouse mode: `move` homes the pointer in the top-left corner and moves from there, so guest pointer acceleration makes it inexact');
  return 'server';
}

class InputsAccess implements ScriptInputs {
  private buttons = 0;

  constructor(
    readonly channel: InputsChannel,
    private readonly mouseMode: MouseModeName | null,
    private readonly displayId: number,
  ) {}

  async keys(steps: readonly KeyStep[]): Promise<void> {
    for (const s of steps) {
      if (s.down) this.channel.keyDown(s.scancode);
      else this.channel.keyUp(s.scancode);
    }
    await this.channel.whenSent();
  }

  async move(x: number, y: number): Promise<void> {
    if (this.mouseMode === 'client') {
      this.channel.mousePosition(x, y, this.buttons, this.displayId);
    } else {
      this.channel.mouseMotion(HOME_MOTION, HOME_MOTION, this.buttons);
      await this.channel.whenSent();
      this.channel.mouseMotion(x, y, this.buttons);
    }
    await this.channel.whenSent();
  }

  press(button: number): void {
    this.buttons |= maskOf(button);
    this.channel.mousePress(button, this.buttons);
  }

  release(button: number): void {
    this.buttons &= ~maskOf(button);
    this.channel.mouseRelease(button, this.buttons);
  }
}

/** Wheel "buttons" are events, not held state: they never enter the buttons mask (as in spice-gtk). */
function maskOf(button: number): number {
  return button === MouseButton.UP || button === MouseButton.DOWN ? 0 : buttonMask(button);
}

class ScreenAccess implements ScriptScreen {
  private readonly damage: DrawingDamage;

  constructor(
    private readonly session: Session,
    readonly display: DisplayChannel,
    private readonly where: string,
    private readonly displayId: number,
    /** What is left of it bounds how long a snapshot waits for what is queued to be drawn. */
    private readonly deadline: Deadline,
  ) {
    this.damage = new DrawingDamage(display);
  }

  /** The display channel's failure (refused, cut), if it failed. */
  private failure(): Error | null {
    const status = this.session.status.get(`${ChannelType.DISPLAY}:${this.displayId}`);
    return status?.state === 'failed' ? status.error : null;
  }

  async firstFrame(limitMs: number): Promise<DisplayChannel> {
    const display = this.display;
    const failed = this.failure();
    if (failed) throw failed;
    if (display.marked) return display;
    const offs: (() => void)[] = [];
    const marked = new Promise<void>((resolve, reject) => {
      offs.push(
        display.events.on('mark', () => resolve()),
        this.session.events.on('channel-error', ({ channel, error }) => {
          if (channel.type === ChannelType.DISPLAY && channel.id === this.displayId) reject(error);
        }),
        this.session.events.on('closed', ({ error }) => reject(error ?? new SpiceError('protocol', `the session with ${this.where} closed`))),
      );
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new SpiceError('timeout', `no complete frame from display ${this.displayId} of ${this.where} within ${Math.round(limitMs / 1000)} s`)), limitMs);
    });
    try {
      await Promise.race([marked, timeout]);
    } finally {
      clearTimeout(timer);
      offs.forEach((off) => off());
    }
    return display;
  }

  async snapshot(): Promise<SurfaceSnapshot> {
    const failed = this.failure();
    if (failed) throw failed;
    // The rest of --timeout, but at least a few seconds for a script that has run for long.
    const limitMs = Math.max(this.deadline.at - Date.now(), MIN_DRAW_WAIT_MS);
    const surface = await withTimeout(this.display.snapshot(), limitMs, () => new SpiceError('timeout', `display ${this.displayId} of ${this.where} was still drawing what it received when its time (--timeout) ran out`));
    if (!surface) throw new SpiceError('protocol', `display ${this.displayId} of ${this.where} has no primary surface`);
    return surface;
  }

  damaged(): string | null {
    const text = this.damage.describe();
    this.damage.restart();
    return text;
  }
}

class AgentAccess implements ScriptAgent {
  constructor(
    private readonly session: Session,
    private readonly where: string,
    private readonly deadline: Deadline,
    private readonly settings: ScriptSettings,
  ) {}

  get timeoutMs(): number {
    return this.settings.timeoutMs;
  }

  out(text: string): void {
    this.settings.out(text);
  }

  progress(line: string): void {
    this.settings.progress(line);
  }

  async ready(): Promise<Agent> {
    const agent = this.session.main.agent;
    if (agent.connected && agent.peerCaps) return agent;
    const why = this.session.main.info.agentConnected
      ? 'the guest agent did not announce its capabilities'
      : 'no guest agent is connected (clipboard, resize and send need spice-vdagent running in the guest)';
    const wait = Math.max(this.deadline.at - Date.now(), Math.min(this.timeoutMs, 3000));
    await withTimeout(agent.whenReady(), wait, () => new SpiceError('timeout', `${this.where}: ${why}`));
    return agent;
  }

  bounded<T>(p: Promise<T>, what: string): Promise<T> {
    const ms = Math.max(this.deadline.at - Date.now(), this.timeoutMs);
    return withTimeout(p, ms, () => new SpiceError('timeout', `${what} within ${Math.round(ms / 1000)} s`));
  }
}
