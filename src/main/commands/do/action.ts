// A `spicedesk do` action as one definition: its name and usage line, how its arguments are read
// (before connecting, so a typo costs no connection), what it needs from the connection, whether
// it may run again after a reconnect, and what it does. The families (input-actions.ts,
// screen-actions.ts, timing-actions.ts, agent-actions.ts) export these; action-table.ts collects them.
import type { Logger } from '../../../protocol/logger.ts';
import type { DisplayChannel } from '../../../protocol/channels/display/display-channel.ts';
import type { SurfaceSnapshot } from '../../../protocol/channels/display/display-sink.ts';
import type { InputsChannel } from '../../../protocol/channels/inputs/inputs-channel.ts';
import type { KeyStep } from '../../../protocol/input/key-steps.ts';
import type { Agent } from '../../../protocol/channels/main/agent/agent.ts';
import type { PlaybackChannel } from '../../../protocol/channels/playback/playback-channel.ts';
import type { RecordChannel } from '../../../protocol/channels/record/record-channel.ts';
import type { QmpPort } from '../../../protocol/channels/port/qmp-port.ts';
import type { Deadline } from '../../node/deadline.ts';
import type { UsbRedirector } from '../../usb/usb-redirector.ts';
import { SpiceError } from '../../../protocol/wire/errors.ts';

/**
 * What an action needs from the connection: the inputs channel (with the guest's lock keys, for
 * typing text; with a mouse mode chosen, for the pointer), the display channel, the guest agent,
 * the playback or record channel, the QEMU monitor (QMP) port, the usbredir slots.
 */
export type ScriptNeed = 'inputs' | 'lock-keys' | 'mouse-mode' | 'display' | 'agent' | 'playback' | 'record' | 'qmp' | 'usb';

/** The words of the command line from just after the action's name. */
export interface ActionWords {
  /** The action's name as written, for messages. */
  readonly word: string;
  /** Takes the next word; at the end, the usage error "<action> needs <what>". */
  take(what: string): string;
  /** The next word without taking it; undefined at the end. */
  peek(): string | undefined;
  /** Takes the word peek() showed. */
  skip(): void;
  /** Whether a word names an action (it ends a list of words, such as send's files). */
  isAction(word: string): boolean;
}

/** Why an action failed without an error: its exit code and the line to print ('' when printed). */
export interface ActionFailure {
  code: number;
  message: string;
}

/** Keyboard and mouse on the connection's inputs channel. */
export interface ScriptInputs {
  readonly channel: InputsChannel;
  /** Sends key presses and releases in order; resolves once they left. */
  keys(steps: readonly KeyStep[]): Promise<void>;
  /** Moves the pointer to x,y of the script's display (absolute, or homed then relative). */
  move(x: number, y: number): Promise<void>;
  press(button: number): void;
  release(button: number): void;
}

/** The script's display channel. */
export interface ScriptScreen {
  readonly display: DisplayChannel;
  /** The display once its first frame (MARK) came, within `limitMs`; a timeout error otherwise. */
  firstFrame(limitMs: number): Promise<DisplayChannel>;
  /** A copy of the primary surface; a protocol error when there is none, the channel's error when it failed. */
  snapshot(): Promise<SurfaceSnapshot>;
  /** Says which draws were dropped (a corrupted image) since the last call, or null when none was. */
  damaged(): string | null;
}

/** The guest agent, once it announced its capabilities. */
export interface ScriptAgent {
  /** The agent with its capabilities, or a timeout error saying what is missing. */
  ready(): Promise<Agent>;
  /** `p` bounded by the command's timeout; a timeout error "<what> within N s". */
  bounded<T>(p: Promise<T>, what: string): Promise<T>;
  /** The command's --timeout, in ms. */
  readonly timeoutMs: number;
  /** Standard output (clip-get's text). */
  out(text: string): void;
  /** One progress or failure line on stderr (send). */
  progress(line: string): void;
}

/** The sound channels, linked when an action of the script needs them. */
export interface ScriptSound {
  readonly playback: PlaybackChannel;
  readonly record: RecordChannel;
  /** Resolves, with why, when this connection's session ends. */
  readonly ended: Promise<string>;
  /** The session's multimedia time now (ms), 0 before the server set it. */
  mediaTime(): number;
  /** The command's --timeout, in ms. */
  readonly timeoutMs: number;
  /** One progress line on stderr. */
  progress(line: string): void;
}

/** The VM's monitor over the org.qemu.monitor.qmp.0 port (QEMU only). */
export interface ScriptVm {
  /** The monitor once its handshake is done, or an error saying the server offers none / it did not answer. */
  qmp(): Promise<QmpPort>;
  /** `p` bounded by the command's timeout; a timeout error "<what> within N s". */
  bounded<T>(p: Promise<T>, what: string): Promise<T>;
  /** One progress line on stderr. */
  progress(line: string): void;
}

/** USB redirection on the script's connection (usb-access.ts). */
export interface ScriptUsb {
  /** The redirector once the VM's USB slots are linked and said hello. */
  redirector(): Promise<UsbRedirector>;
  /** `p` bounded by the command's timeout; a timeout error "<what> within N s". */
  bounded<T>(p: Promise<T>, what: string): Promise<T>;
  /** One progress line on stderr. */
  progress(line: string): void;
  /** The script is over: devices leave the VM before the session closes. */
  end(): Promise<void>;
}

/** What an action runs with: one connection of the script, and the script's settings. */
export interface ScriptContext {
  readonly where: string;
  readonly displayId: number;
  readonly deadline: Deadline;
  readonly logger: Logger;
  /** Each of these is there when an action of the script needs it (ScriptNeed). */
  readonly inputs: ScriptInputs;
  readonly screen: ScriptScreen;
  readonly agent: ScriptAgent;
  readonly sound: ScriptSound;
  readonly vm: ScriptVm;
  readonly usb: ScriptUsb;
}

export interface DoActionDefinition<A> {
  readonly name: string;
  /** Its usage: "move X Y". */
  readonly synopsis: string;
  /** What it does, in lines wrapped by hand (about 60 columns: the help indents it). */
  readonly help: string;
  readonly needs: readonly ScriptNeed[];
  /**
   * Whether it runs again on a new connection when the connection drops under it: true when it
   * only looks, or leaves the guest as a second time would. Keys, clicks and files may have
   * partly reached the guest: doing them again could type twice.
   */
  readonly repeatable: boolean;
  parse(words: ActionWords): A;
  /** Reads what it needs before connecting (a PNG to compare with, files to send). */
  prepare?(args: A): Promise<A>;
  /** Runs it: null when it worked. */
  run(args: A, script: ScriptContext): Promise<ActionFailure | null>;
}

/** One action of a script with its arguments. */
export interface DoStep {
  readonly name: string;
  readonly args: unknown;
  readonly needs: readonly ScriptNeed[];
  readonly repeatable: boolean;
  prepare(): Promise<void>;
  run(script: ScriptContext): Promise<ActionFailure | null>;
}

/** An action's definition bound to the arguments parsed for it. */
export function stepOf<A>(definition: DoActionDefinition<A>, parsed: A): DoStep {
  let args = parsed;
  return {
    name: definition.name,
    get args() {
      return args;
    },
    needs: definition.needs,
    repeatable: definition.repeatable,
    async prepare() {
      if (definition.prepare) args = await definition.prepare(args);
    },
    run: (script) => definition.run(args, script),
  };
}

/**
 * Types an action's parse and run by its argument type A; the result goes into a family's array
 * beside actions of other argument types.
 */
export function defineAction<A>(definition: DoActionDefinition<A>): DoActionDefinition<unknown> {
  return definition;
}

export function usage(message: string): SpiceError {
  return new SpiceError('usage', message);
}

/** A whole number from 0 to `max`; `what` names it in the message ("move X"). */
export function wholeNumber(value: string | undefined, what: string, max: number): number {
  if (value === undefined || !/^\d+$/.test(value) || Number(value) > max) {
    throw usage(`${what} must be a whole number from 0 to ${max}, got ${value === undefined ? 'nothing' : `"${value}"`}`);
  }
  return Number(value);
}

/** Seconds, fractions allowed, from `min` to `max`; in milliseconds. */
export function seconds(value: string | undefined, what: string, max: number, min = 0): number {
  if (value === undefined || !/^(\d+(\.\d*)?|\.\d+)$/.test(value) || Number(value) > max || Number(value) < min) {
    throw usage(`${what} must be a number of seconds from ${min} to ${max}, got ${value === undefined ? 'nothing' : `"${value}"`}`);
  }
  return Math.round(Number(value) * 1000);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
