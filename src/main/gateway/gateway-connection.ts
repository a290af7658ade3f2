// One browser page on the gateway: a WebSocket carrying bridge messages, and the SPICE session it
// asked for. The page's HELLO picks one of the targets `spicedesk serve` was started with, by
// index; nothing else can be connected to. Every message from the page goes through the bridge's
// strict decoder; a malformed one ends this connection (with a reason), never the gateway.
import type { WebSocket, RawData } from 'ws';
import { BRIDGE_VERSION, type HostMessage, type SessionStatus, type UiMessage } from '../../protocol/bridge/bridge-messages.ts';
import { encodeHostMessage } from '../../protocol/bridge/host-codec.ts';
import { decodeUiMessage } from '../../protocol/bridge/ui-codec.ts';
import { CursorChannel } from '../../protocol/channels/cursor/cursor-channel.ts';
import { buildMouseModeRequest, MainMsgc, MouseMode } from '../../protocol/channels/main/main-messages.ts';
import type { Logger } from '../../protocol/logger.ts';
import type { ConnectionProfile } from '../../protocol/profile/index.ts';
import { Session } from '../../protocol/session/session.ts';
import { isSpiceError, SpiceError } from '../../protocol/wire/errors.ts';
import type { ConnectPlan } from '../connector.ts';
import { nodeTicketCrypto } from '../ticket-crypto.ts';
import { Deadline } from '../commands/open-session.ts';
import { BridgeDisplaySink } from './bridge-display-sink.ts';
import { forwardInput, inputsOf } from './input-forwarding.ts';

export interface GatewayTarget {
  /** What to call it in messages (never the password). */
  label: string;
  profile: ConnectionProfile;
  plan: ConnectPlan;
  password?: string;
}

export interface ConnectionOptions {
  targets: readonly GatewayTarget[];
  logger: Logger;
  /** Time for the SPICE link, as --timeout of the other commands. */
  linkTimeoutMs: number;
  /** Time the page has to send its HELLO. */
  helloTimeoutMs: number;
}

/** A browser this far behind is not reading; better to drop it than to buffer without end. */
export const MAX_BUFFERED_BYTES = 256 * 1024 * 1024;

/** WebSocket close codes (RFC 6455). */
const CloseCode = { NORMAL: 1000, GOING_AWAY: 1001, POLICY: 1008, SERVER_ERROR: 1011 } as const;

export class GatewayConnection {
  private session: Session | null = null;
  private state: 'hello' | 'session' | 'closed' = 'hello';
  private readonly log: Logger;
  private readonly helloTimer: ReturnType<typeof setTimeout>;

  constructor(
    private readonly ws: WebSocket,
    private readonly o: ConnectionOptions,
    readonly id: number,
  ) {
    this.log = o.logger.child({ page: id });
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('close', () => this.shutdown());
    ws.on('error', (error) => {
      this.log.warn({ err: error.message }, 'page connection failed');
      this.shutdown();
    });
    this.helloTimer = setTimeout(() => this.refuse(`no HELLO within ${o.helloTimeoutMs / 1000} s`), o.helloTimeoutMs);
    this.send({ kind: 'hello', version: BRIDGE_VERSION });
  }

  private send(m: HostMessage): void {
    this.sendBytes(encodeHostMessage(m));
  }

  private sendBytes(bytes: Uint8Array): void {
    if (this.state === 'closed' || this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.end({ state: 'error', errorKind: 'timeout', message: 'the browser is not keeping up with the display; closing this page' }, CloseCode.SERVER_ERROR);
      return;
    }
    this.ws.send(bytes, { binary: true });
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (this.state === 'closed') return;
    if (!isBinary || !(data instanceof Buffer)) {
      this.refuse('the bridge speaks binary messages only');
      return;
    }
    let message: UiMessage;
    try {
      message = decodeUiMessage(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), BRIDGE_VERSION);
    } catch (e) {
      this.refuse(isSpiceError(e) ? e.message : String(e));
      return;
    }
    if (this.state === 'hello') {
      if (message.kind !== 'hello') {
        this.refuse(`the first message must be HELLO, not ${message.kind}`);
        return;
      }
      clearTimeout(this.helloTimer);
      this.start(message.target);
      return;
    }
    if (message.kind === 'hello') {
      this.refuse('HELLO may come only once');
      return;
    }
    if (!this.session) return;
    try {
      forwardInput(this.session, message, this.log);
    } catch (e) {
      this.refuse(`input the session could not take: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Ends the page's connection for something it sent; the gateway goes on. */
  private refuse(reason: string): void {
    this.log.warn({ reason }, 'refusing a page');
    this.end({ state: 'error', errorKind: 'protocol', message: reason }, CloseCode.POLICY);
  }

  private start(targetIndex: number): void {
    const target = this.o.targets[targetIndex];
    if (!target) {
      const served = this.o.targets.length === 1 ? 'target 0' : `targets 0 to ${this.o.targets.length - 1}`;
      this.log.warn({ target: targetIndex }, 'refusing a target the gateway was not started with');
      this.end(
        { state: 'error', errorKind: 'usage', message: `target ${targetIndex} was not given to spicedesk serve; it serves ${served} only` },
        CloseCode.POLICY,
      );
      return;
    }
    this.state = 'session';
    void this.connect(target);
  }

  private async connect(target: GatewayTarget): Promise<void> {
    this.send({ kind: 'status', status: { state: 'connecting', where: target.plan.where } });
    const session = new Session({
      connector: target.plan.connector,
      crypto: nodeTicketCrypto,
      logger: this.log,
      password: target.password,
      where: target.plan.where,
      displaySink: new BridgeDisplaySink((bytes) => this.sendBytes(bytes)),
    });
    this.session = session;
    session.events.on('closed', ({ error }) => {
      if (error) this.end(statusOf(error), CloseCode.NORMAL);
      else this.end({ state: 'closed', reason: `the session with ${target.plan.where} ended` }, CloseCode.NORMAL);
    });
    session.main.events.on('mouse-mode', (m) => this.onMouseMode(m.supported, m.current));
    // Cursor bodies go to the page as they came; it parses and decodes them itself.
    session.events.on('channel-linked', (ch) => {
      if (!(ch instanceof CursorChannel)) return;
      ch.events.on('message', ({ type, body, serial }) => this.send({ kind: 'cursor', channelId: ch.id, type, serial, body }));
    });
    const deadline = new Deadline(this.o.linkTimeoutMs);
    try {
      const info = await deadline.race(
        session.connect(),
        () => new SpiceError('unreachable', `${target.plan.where} did not complete the SPICE link within ${Math.round(this.o.linkTimeoutMs / 1000)} s`),
      );
      if (this.state === 'closed') return;
      this.log.info({ target: target.label, where: target.plan.where }, 'session linked');
      this.send({ kind: 'status', status: { state: 'connected', serverName: info.name ?? target.plan.where, channels: info.channels } });
      this.onMouseMode(info.supportedMouseModes, info.currentMouseMode);
    } catch (e) {
      this.end(statusOf(e), CloseCode.NORMAL);
    }
  }

  private onMouseMode(supported: number, current: number): void {
    this.send({ kind: 'mouse-mode', supported, current });
    // Absolute positions (client mode) whenever the server offers them, as spice-gtk does: the
    // page can then follow the browser's own pointer without Pointer Lock.
    if (supported & MouseMode.CLIENT && current !== MouseMode.CLIENT) {
      this.session?.main.send(MainMsgc.MOUSE_MODE_REQUEST, buildMouseModeRequest(MouseMode.CLIENT));
    }
  }

  /** Tells the page why, closes the socket and the session. */
  private end(status: SessionStatus, code: number): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    // Sent past the backlog limit on purpose: this is the page's last message.
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(encodeHostMessage({ kind: 'status', status }), { binary: true });
    // A close reason is limited to 123 bytes; the full text went in the STATUS message.
    const reason = status.state === 'error' ? status.message.slice(0, 100) : '';
    this.ws.close(code, Buffer.byteLength(reason) <= 123 ? reason : '');
    this.shutdown();
  }

  /** Releases everything; safe to call more than once. */
  shutdown(): void {
    this.state = 'closed';
    clearTimeout(this.helloTimer);
    const session = this.session;
    this.session = null;
    if (session) {
      // Keys and buttons the page held must not stay pressed in the guest.
      inputsOf(session)?.releaseAll();
      session.close();
    }
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(CloseCode.GOING_AWAY);
  }
}

function statusOf(e: unknown): SessionStatus {
  if (isSpiceError(e)) {
    const hint =
      e.kind === 'auth' ? ' (give the password in the TARGET or in SPICE_PASSWORD when starting spicedesk serve; a password dialog is not implemented yet)' : '';
    return { state: 'error', errorKind: e.kind, message: e.message + hint };
  }
  return { state: 'error', errorKind: 'internal', message: `unexpected error: ${e instanceof Error ? e.message : String(e)}` };
}
