// The QEMU monitor (QMP) over the port org.qemu.monitor.qmp.0: the VM's power menu, as
// remote-viewer offers it. QEMU greets first ({"QMP": ...}) when the port opens; the client answers
// qmp_capabilities, then asks query-status, and from then on follows the events that change the
// VM's state (STOP, RESUME, RESET, POWERDOWN, SHUTDOWN). Only the five power actions and
// query-status are ever sent: this port gives full control of QEMU to whoever links it, so nothing
// else reaches the monitor from here.
//
// Each message is one JSON object per line (QEMU ends lines with CRLF). A line that is not a JSON
// object, or longer than MAX_QMP_LINE, ends the channel with a ProtocolError.
import { Emitter } from '../../emitter.ts';
import { ProtocolError, SpiceError } from '../../wire/errors.ts';
import type { PortHandler, PortIo } from './port-handler.ts';

export const QMP_PORT_NAME = 'org.qemu.monitor.qmp.0';

/** The power actions (remote-viewer's VM menu) and the one QMP command each sends. */
export const powerCommands = {
  pause: 'stop',
  resume: 'cont',
  reset: 'system_reset',
  powerdown: 'system_powerdown',
  off: 'quit',
} as const;

export type PowerAction = keyof typeof powerCommands;

export const powerActions = Object.keys(powerCommands) as PowerAction[];

/** The event QEMU sends when each action took effect. */
export const powerEvents: Record<PowerAction, string> = {
  pause: 'STOP',
  resume: 'RESUME',
  reset: 'RESET',
  powerdown: 'POWERDOWN',
  off: 'SHUTDOWN',
};

/** Every command this client may send: the handshake, the state query and the power actions. */
const allowedCommands: ReadonlySet<string> = new Set(['qmp_capabilities', 'query-status', ...Object.values(powerCommands)]);

/** The events that tell the VM's state; others are ignored. */
export const vmEvents: ReadonlySet<string> = new Set(['STOP', 'RESUME', 'RESET', 'POWERDOWN', 'SHUTDOWN']);

/** A QMP line longer than this is not something QEMU sends for these commands (query-status is ~60 bytes). */
export const MAX_QMP_LINE = 1 << 20;

export interface VmState {
  running: boolean;
  /** QMP's RunState: running, paused, shutdown, prelaunch, inmigrate, ... */
  status: string;
}

export type QmpStage = 'closed' | 'greeting' | 'handshake' | 'ready';

export type QmpEvents = {
  /** The handshake is done: power actions may be sent. */
  ready: { qemu: string | null };
  /** The VM's state changed (from query-status or an event). */
  state: VmState;
  /** One of vmEvents arrived. */
  event: { name: string; data: unknown };
  /** The port closed (the guest side, i.e. QEMU, closed it, or the channel ended). */
  closed: undefined;
};

interface Pending {
  command: string;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export class QmpPort implements PortHandler {
  readonly events = new Emitter<QmpEvents>();
  stage: QmpStage = 'closed';
  /** The VM's state, once query-status answered (null before). */
  state: VmState | null = null;
  /** QEMU's version from the greeting ("7.2.22"). */
  qemuVersion: string | null = null;
  private readonly io: PortIo;
  private line: Uint8Array[] = [];
  private lineBytes = 0;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });

  constructor(io: PortIo) {
    this.io = io;
  }

  describe(): string {
    return `QEMU monitor (QMP): VM power actions${this.state ? `; the VM is ${this.state.status}` : ''}`;
  }

  opened(): void {
    this.stage = 'greeting';
    this.line = [];
    this.lineBytes = 0;
  }

  closed(): void {
    if (this.stage === 'closed') return;
    this.stage = 'closed';
    this.failPending('the QMP port closed');
    this.events.emit('closed', undefined);
  }

  dispose(): void {
    this.closed();
  }

  data(bytes: Uint8Array): void {
    let start = 0;
    for (let i = 0; i < bytes.byteLength; i++) {
      if (bytes[i] !== 0x0a) continue;
      this.append(bytes.subarray(start, i));
      start = i + 1;
      const line = this.takeLine();
      if (line.trim()) this.message(line);
    }
    this.append(bytes.subarray(start));
  }

  private append(part: Uint8Array): void {
    if (part.byteLength === 0) return;
    this.lineBytes += part.byteLength;
    if (this.lineBytes > MAX_QMP_LINE) throw new ProtocolError(`a QMP line longer than ${MAX_QMP_LINE} bytes`, 0, { channel: this.io.channelName });
    this.line.push(part.slice());
  }

  private takeLine(): string {
    const bytes = new Uint8Array(this.lineBytes);
    let o = 0;
    for (const p of this.line) {
      bytes.set(p, o);
      o += p.byteLength;
    }
    this.line = [];
    this.lineBytes = 0;
    try {
      return this.decoder.decode(bytes);
    } catch {
      throw new ProtocolError('a QMP line that is not UTF-8', 0, { channel: this.io.channelName });
    }
  }

  private message(text: string): void {
    let m: unknown;
    try {
      m = JSON.parse(text);
    } catch (e) {
      throw new ProtocolError(`a QMP line that is not JSON (${(e as Error).message}): ${JSON.stringify(text.slice(0, 80))}`, 0, { channel: this.io.channelName });
    }
    if (!isObject(m)) throw new ProtocolError(`a QMP line that is not a JSON object: ${JSON.stringify(text.slice(0, 80))}`, 0, { channel: this.io.channelName });
    if ('QMP' in m) return this.greeting(m.QMP);
    if (typeof m.event === 'string') return this.event(m.event, m.data);
    if ('return' in m || 'error' in m) return this.answer(m);
    this.io.log.debug({ keys: Object.keys(m).slice(0, 8) }, 'ignoring a QMP message of no known shape');
  }

  private greeting(qmp: unknown): void {
    if (this.stage === 'closed') this.stage = 'greeting';
    if (this.stage !== 'greeting') throw new ProtocolError(`a second QMP greeting (the monitor is already ${this.stage})`, 0, { channel: this.io.channelName });
    const v = isObject(qmp) && isObject(qmp.version) && isObject(qmp.version.qemu) ? qmp.version.qemu : null;
    this.qemuVersion = v && [v.major, v.minor, v.micro].every((n) => typeof n === 'number') ? `${String(v.major)}.${String(v.minor)}.${String(v.micro)}` : null;
    this.stage = 'handshake';
    this.execute('qmp_capabilities').then(
      () => {
        if (this.stage !== 'handshake') return;
        this.stage = 'ready';
        this.io.log.info({ qemu: this.qemuVersion }, 'QMP monitor ready');
        this.events.emit('ready', { qemu: this.qemuVersion });
        return this.queryStatus().catch((e: Error) => this.io.log.warn({ err: e.message }, `QMP query-status failed: ${e.message}`));
      },
      (e: Error) => this.io.log.warn({ err: e.message }, `the QMP handshake failed: ${e.message}`),
    );
  }

  private event(name: string, data: unknown): void {
    if (!vmEvents.has(name)) return;
    this.io.log.info({ event: name }, `QMP event ${name}`);
    this.events.emit('event', { name, data });
    if (name === 'STOP') this.setState({ running: false, status: 'paused' });
    else if (name === 'RESUME') this.setState({ running: true, status: 'running' });
    else if (name === 'SHUTDOWN') this.setState({ running: false, status: 'shutdown' });
  }

  private answer(m: Record<string, unknown>): void {
    const id = m.id;
    const pending = typeof id === 'number' ? this.pending.get(id) : undefined;
    if (!pending) {
      this.io.log.debug({ id }, 'ignoring a QMP answer to no command of ours');
      return;
    }
    this.pending.delete(id as number);
    if ('error' in m) {
      const error = isObject(m.error) ? m.error : {};
      const desc = typeof error.desc === 'string' ? error.desc : 'no description';
      pending.reject(new SpiceError('protocol', `QEMU refused ${pending.command}: ${desc}`));
    } else pending.resolve(m.return);
  }

  private setState(state: VmState): void {
    if (this.state && this.state.running === state.running && this.state.status === state.status) return;
    this.state = state;
    this.events.emit('state', state);
  }

  /** Asks QEMU for the VM's state; updates `state`. */
  async queryStatus(): Promise<VmState> {
    const r = await this.execute('query-status');
    if (!isObject(r) || typeof r.running !== 'boolean' || typeof r.status !== 'string') {
      throw new ProtocolError('a query-status answer without running and status', 0, { channel: this.io.channelName });
    }
    const state = { running: r.running, status: r.status.slice(0, 64) };
    this.setState(state);
    return state;
  }

  /**
   * Sends one power action; resolves when QEMU answered (it sends the action's event before the
   * answer). `off` resolves on SHUTDOWN too: QEMU may exit before its answer leaves.
   */
  power(action: PowerAction): Promise<void> {
    const command = powerCommands[action];
    if (!command) return Promise.reject(new SpiceError('usage', `no power action "${String(action)}" (${powerActions.join(', ')})`));
    const answered = this.execute(command).then(() => undefined);
    if (action !== 'off') return answered;
    return new Promise<void>((resolve, reject) => {
      const offs = [
        this.events.on('event', ({ name }) => name === 'SHUTDOWN' && done()),
        this.events.on('closed', () => done()),
      ];
      function done(): void {
        offs.forEach((off) => off());
        resolve();
      }
      answered.then(done, (e: Error) => {
        offs.forEach((off) => off());
        reject(e);
      });
    });
  }

  private execute(command: string): Promise<unknown> {
    // The one gate to the monitor: a command outside the list is a bug here, never sent.
    if (!allowedCommands.has(command)) return Promise.reject(new SpiceError('internal', `QMP command ${command} is not one spicedesk sends`));
    if (this.stage === 'closed' || this.stage === 'greeting') return Promise.reject(new SpiceError('protocol', `the QMP monitor is not ready (${this.stage === 'closed' ? 'the port is closed' : 'no greeting yet'})`));
    if (command !== 'qmp_capabilities' && this.stage !== 'ready') return Promise.reject(new SpiceError('protocol', 'the QMP handshake has not finished'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { command, resolve, reject });
      this.io.write(new TextEncoder().encode(`${JSON.stringify({ execute: command, id })}\r\n`));
    });
  }

  private failPending(why: string): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(new SpiceError('unreachable', `${p.command}: ${why}`));
  }
}
