// One page's end of the bridge in the host, and the SPICE session it asked for: a browser page of
// the gateway over a WebSocket (src/main/gateway), or an Electron window over a MessagePort
// (src/main/electron). The page's HELLO picks one of the targets the host was given, by index;
// nothing else can be connected to. Every message from the page goes through the bridge's strict
// decoder; a malformed one ends this connection (with a reason), never the host.
import type { SharedDirSetting } from '../webdav/shared-dir.ts';
import type { PowerAction } from '../../protocol/channels/port/qmp-port.ts';
import type { UsbDeviceSource } from '../usb/device-source.ts';
import type { UsbCommandLine } from '../usb/usb-policy.ts';
import { PageUsb } from './page-usb.ts';
import { printPorts, type PrintSetting } from '../printing/print-setting.ts';
import { defaultDisplayOptions } from '../../protocol/channels/display/display-channel.ts';
import type { SpiceErrorKind } from '../../protocol/wire/errors.ts';
import type { HostMessage, SessionStatus, UiMessage } from '../../protocol/bridge/bridge-messages.ts';
import { BRIDGE_VERSION } from '../../protocol/bridge/kinds.ts';
import { encodeHostMessage, encodeHostPacket, HostPacketBuilder } from '../../protocol/bridge/host-codec.ts';
import { decodeUiMessage } from '../../protocol/bridge/ui-codec.ts';
import { CursorChannel } from '../../protocol/channels/cursor/cursor-channel.ts';
import { ChannelType } from '../../protocol/link/constants.ts';
import { MouseMode, type MouseModeValue } from '../../protocol/channels/main/main-messages.ts';
import type { Logger } from '../../protocol/logger.ts';
import type { ConnectionProfile } from '../../protocol/profile/index.ts';
import { Session } from '../../protocol/session/session.ts';
import { isSpiceError, SpiceError } from '../../protocol/wire/errors.ts';
import { MemoryBudget } from '../../protocol/wire/memory-budget.ts';
import type { ConnectPlan } from '../connect/connector.ts';
import { nodeTicketCrypto } from '../node/ticket-crypto.ts';
import { Deadline } from '../node/deadline.ts';
import { BridgeDisplaySink, countJoinedView, headsNeedDisplayBytes } from './bridge-display-sink.ts';
import { forwardInput, inputsOf } from './input-forwarding.ts';
import { MIN_PACKET_INTERVAL_MS, PacketPacer } from './packet-pacing.ts';
import { HeldAcks } from './held-acks.ts';
import { HeldReads } from './held-reads.ts';
import { PageAgent } from './page-agent.ts';
import { PageAudio } from './page-audio.ts';
import { PageVm } from './page-vm.ts';
import { PageSerial } from './page-serial.ts';
import { PagePrinters } from './page-printers.ts';
import { PageFolders } from './page-folders.ts';
import { noAudioCapabilities, type AudioCapabilities } from '../../protocol/audio/audio-format.ts';
import { PageBudget } from './page-budget.ts';
import { HeadGroup, type HeadRegistry, type JoinedHead, type JoinedInput } from '../monitors/head-group.ts';
import type { MonitorMappingSource } from '../monitors/session-mapping.ts';
import type { ClipboardSharing } from '../../protocol/channels/main/agent/clipboard.ts';
import type { VideoCodecSupport } from '../../protocol/channels/display/display-sink.ts';
import { PageReconnect } from '../reconnect/page-reconnect.ts';
import type { BackoffOptions } from '../../protocol/session/reconnect-policy.ts';
import { NOT_KIOSK, sessionPolicy, type KioskFlags } from '../../protocol/policy/kiosk-policy.ts';
import { pagePolicyMessage } from '../../protocol/bridge/policy-messages.ts';

export interface GatewayTarget {
  /** What to call it in messages (never the password). */
  label: string;
  profile: ConnectionProfile;
  plan: ConnectPlan;
  password?: string;
  /** The clipboard directions allowed with this target (`--clipboard`); a page cannot turn on more. Default both. */
  clipboard?: ClipboardSharing;
  /** --kiosk and --kiosk-quit: with the profile, the page's policy (src/protocol/policy). */
  kiosk?: KioskFlags;
  /** --monitor-mapping and the mappings remembered per VM (monitors/session-mapping.ts). */
  monitors?: MonitorMappingSource;
  /**
   * --memory-limit in bytes: the session's budget here (the bytes each channel buffers, the cursor
   * cache); the page's decode worker keeps its own for the surfaces and caches it composes.
   */
  memoryLimit?: number;
  /** --spice-shared-dir: the folder the session shares with the guest (none: not shared). */
  sharedDir?: SharedDirSetting;
  /** --spice-share-cd and the usbredir rules (page-usb.ts). */
  usb?: UsbCommandLine;
  /** --print-to: where the session prints the guest's jobs (none: off). */
  print?: PrintSetting;
}

export interface ConnectionOptions {
  targets: readonly GatewayTarget[];
  logger: Logger;
  /** Time for the SPICE link, as --timeout of the other commands. */
  linkTimeoutMs: number;
  /** Time the page has to send its HELLO. */
  helloTimeoutMs: number;
  /**
   * What a page whose HELLO names no target of this host is told; by default that `spicedesk
   * serve` was not given it. The Electron window without a target says how to give one.
   */
  noTarget?: (index: number) => { errorKind: SpiceErrorKind; message: string };
  /** Where the user gives a password, added to an authentication error; by default serve's way. */
  authHint?: string;
  /** Every status the page is sent, for the host's own use (the Electron window's title). */
  onStatus?: (status: SessionStatus) => void;
  /** Delays between reconnect attempts after a linked session dropped; default 1 s doubling to 30 s. */
  reconnectBackoff?: BackoffOptions;
  /** Where views of guest heads 2-4 find the session they join (HEAD_JOIN); without it they are refused. */
  heads?: HeadRegistry;
  /** Every message the page is sent, for the host's own use (the Electron head windows follow HEADS). */
  onHostMessage?: (m: HostMessage) => void;
  /** The memory bound this page shares with the host's other pages; a budget of its own by default. */
  budget?: PageBudget;
  /** Told when the server starts or stops recording (the Electron window allows the microphone only meanwhile). */
  onRecording?: (on: boolean) => void;
  /** The machine's USB devices; default the `usb` package (API-level tests give simulated ones). */
  usbHostSource?: () => UsbDeviceSource;
  /** The OS-held HID devices; default node-hid (API-level tests give a fake of its API). */
  usbHidSource?: () => UsbDeviceSource;
}

/** Passwords a page may try on one connection before it is dropped: a dialog, not a guessing service. */
export const MAX_PASSWORD_ATTEMPTS = 10;

/** A packet is sent at once when this much is queued, without waiting for the end of the turn. */
const MAX_PACKET_BYTES = 4 * 1024 * 1024;

/**
 * Sound packets that go to the page together: Xspice and QEMU send one every 10 ms, and each
 * transport message costs a write here, a WebSocket event on the page's thread and a post to its
 * audio worklet. Two to a message halves those for 5 ms more latency on average (the first waits
 * for the second; the page's jitter buffer takes the 10 ms of added spread).
 */
export const SOUND_PACKETS_PER_MESSAGE = 2;
/**
 * The longest a sound packet alone waits for the next. In a stream the next comes 10 ms later and
 * sends the pair (a stream's last packet goes with the server's STOP); the hold's timer is for a
 * server that paused without one. It is left to run out rather than cleared (packet-pacing.ts), and
 * a pair's hold reuses it while it runs, so it wakes the gateway once per hold at most: at 15 ms
 * it woke it once per pair, 50 times a second, a quarter of the gateway's wake-ups while sound
 * plays (page-profile.ts --audio opus: 153 -> 113 wake-ups a second, the gateway 12-15 % less CPU).
 * A packet held longer than the old 15 ms arrives with the next one, as the pause delays that one:
 * the page's jitter buffer (some 60 ms) covers both alike.
 */
export const SOUND_HOLD_MS = 60;

/** Close codes (RFC 6455's, which a MessagePort endpoint ignores: the last STATUS says why). */
export const CloseCode = { NORMAL: 1000, GOING_AWAY: 1001, POLICY: 1008, SERVER_ERROR: 1011 } as const;

/**
 * The host's end of one page's bridge, whatever carries it. One bridge message per send and per
 * message; nothing is delivered after close, from either side.
 */
export interface BridgeEndpoint {
  /** False once either side closed it: sends would be lost. */
  readonly open: boolean;
  /** Bytes sent and not yet taken by the peer; 0 where the transport cannot tell. */
  readonly bufferedAmount: number;
  send(bytes: Uint8Array): void;
  /**
   * Optional: sends one message of `size` bytes that `fill` writes into the endpoint's own buffer,
   * framing included (the gateway's WebSocket frame header goes in front of it, so the message is
   * copied once and written in one call; bridge-host's packets use it).
   */
  sendFilled?(size: number, fill: (out: Uint8Array) => void): void;
  /** Idempotent. */
  close(code: number, reason: string): void;
  /** `null` for a message that is not binary, which the host refuses. */
  onMessage(listener: (bytes: Uint8Array | null) => void): void;
  /** Once, however it closed; `error` when the transport failed. */
  onClose(listener: (error?: string) => void): void;
}

/** A bridge message from the page, by its kind. */
type UiMessageOf<K extends UiMessage['kind']> = Extract<UiMessage, { kind: K }>;

/** One handler for every kind of message a page can send. */
type PageMessageHandlers = { readonly [K in UiMessage['kind']]: (m: UiMessageOf<K>) => void };

/** Calls the handler of `m`'s kind. */
function dispatchPageMessage(handlers: PageMessageHandlers, m: UiMessage): void {
  // The table is typed per kind; TypeScript cannot follow that `m` is of the kind it looked up.
  (handlers[m.kind] as (m: UiMessage) => void)(m);
}

export class BridgeHost {
  private session: Session | null = null;
  private state: 'hello' | 'session' | 'password' | 'closed' = 'hello';
  private readonly packet = new HostPacketBuilder((n) => Buffer.allocUnsafeSlow(n));
  // A packet due at once leaves at the end of the socket read that queued it (packet-pacing.ts).
  // While it waits out its interval, the display channels' reads are held (held-reads.ts).
  private readonly reads = new HeldReads(() => this.packet.byteLength);
  private readonly pacer = new PacketPacer(() => this.flush(), MIN_PACKET_INTERVAL_MS, undefined, 'task', this.reads);
  /** Sound messages in the packet being gathered, and whether anything else is in it. */
  private soundQueued = 0;
  private otherQueued = false;
  private readonly acks = new HeldAcks(() => this.pacer.schedule());
  private readonly log: Logger;
  private readonly helloTimer: ReturnType<typeof setTimeout>;
  /** Whether a display message went to the page yet (logged once: a step to the first frame). */
  private displaySent = false;
  private readonly pageAgent: PageAgent;
  private readonly pageAudio: PageAudio;
  private readonly pageVm: PageVm;
  private readonly pageSerial: PageSerial;
  private readonly pagePrinters: PagePrinters;
  private readonly pageFolders: PageFolders;
  private readonly pageUsb: PageUsb;
  /** What the page's HELLO said it does with sound: its sessions' sound channels announce that. */
  private audio: AudioCapabilities = noAudioCapabilities;
  private target: GatewayTarget | null = null;
  /** The page's MOUSE_MODE_REQUEST: kept across reconnects, applied whenever modes are announced. */
  private mousePreference: MouseModeValue = MouseMode.CLIENT;
  /** While the page is asked for a password: the refusal, for when the user cancels. */
  private refusal: SpiceError | null = null;
  private passwordAttempts = 0;
  /** Set once the page picked its target: brings a dropped session back (reconnect/page-reconnect.ts). */
  private reconnect: PageReconnect | null = null;
  /** The password the last session linked with, for reconnecting with it. */
  private linkPassword: string | undefined;
  /** This page's session as views of the other guest heads share it (monitors/head-group.ts). */
  private heads: HeadGroup | null = null;
  /** Set when this connection is a view that joined another page's session, or a page's input socket. */
  private joined: JoinedHead | JoinedInput | null = null;
  private joinedGroup: HeadGroup | null = null;
  /** The video codecs the page's HELLO listed, best first: its sessions' display channels announce them. */
  private videoCodecs: readonly VideoCodecSupport[] = [];
  /** The running session's display sink, for the page's STREAM_ERRORs. */
  private displaySink: BridgeDisplaySink | null = null;
  /** What this page may hold queued, alone and with the host's other pages (page-budget.ts). */
  private readonly budget: PageBudget;
  private readonly leaveBudget: () => void;

  constructor(
    private readonly endpoint: BridgeEndpoint,
    private readonly o: ConnectionOptions,
    readonly id: number,
  ) {
    this.log = o.logger.child({ page: id });
    this.budget = o.budget ?? new PageBudget();
    this.leaveBudget = this.budget.addPage(() => endpoint.bufferedAmount);
    this.pageAgent = new PageAgent((m) => this.send(m), this.log, this.budget);
    this.pageAudio = new PageAudio((m) => this.send(m), this.log, o.onRecording);
    this.pageVm = new PageVm((m) => this.send(m), this.log);
    this.pageSerial = new PageSerial((m) => this.send(m), this.log);
    this.pagePrinters = new PagePrinters((m) => this.send(m), this.log);
    this.pageFolders = new PageFolders((m) => this.send(m), this.log);
    this.pageUsb = new PageUsb((m) => this.send(m), this.log, o.usbHostSource, o.usbHidSource);
    endpoint.onMessage((bytes) => this.onMessage(bytes));
    endpoint.onClose((error) => {
      if (error !== undefined) this.log.warn({ err: error }, 'page connection failed');
      this.shutdown();
    });
    this.helloTimer = setTimeout(() => this.refuse(`no HELLO within ${o.helloTimeoutMs / 1000} s`), o.helloTimeoutMs);
    this.send({ kind: 'hello', version: BRIDGE_VERSION });
  }

  /** Whether the page's session is still running or about to. */
  get closed(): boolean {
    return this.state === 'closed';
  }

  /**
   * Input the host itself produces (the Electron window's menu and hotkeys), sent as if the page
   * had; dropped before the session is linked or after it ended.
   */
  sendInput(m: Exclude<UiMessage, { kind: 'hello' }>): void {
    if (this.state !== 'session' || !this.session) return;
    forwardInput(this.session, m, this.log);
  }

  /**
   * The Electron window's own menu (window-session-menu.ts): a power action, or a folder the user
   * picked in the system's folder dialog (an absolute path, checked against the same root as the
   * page's choices), or stop sharing. The same checks as the page's messages apply: the VM menu
   * and the folder chooser are refused where the page's policy refuses them.
   */
  fromWindowMenu(m: { kind: 'vm-action'; action: PowerAction } | { kind: 'share-folder'; dir: string; readOnly: boolean } | { kind: 'stop-sharing' }): void {
    if (this.state !== 'session') return;
    if (m.kind === 'vm-action') void this.pageVm.handle(m);
    else if (m.kind === 'share-folder') this.pageFolders.shareChosen(m.dir, m.readOnly);
    else this.pageFolders.handle({ kind: 'folder-stop' });
  }

  /** Whether the page last said it has focus (USB_FOCUS), which USB auto-redirect goes by. */
  get pageFocused(): boolean {
    return this.pageUsb.pageFocused;
  }

  /**
   * Whether the local clipboard would go to the guest now (a running session, sharing to the
   * guest allowed by `--clipboard` and the page's setting, an agent that shares the clipboard):
   * the Electron window reads it only then (electron/focus-clipboard.ts).
   */
  get takesLocalClipboard(): boolean {
    return this.state === 'session' && this.pageAgent.takesPageClipboard;
  }

  /** The local clipboard as the Electron window's main process read it, taken as the page's own (the same checks apply). */
  localClipboard(c: { text: string } | { png: Uint8Array }): void {
    if (this.state !== 'session') return;
    if ('text' in c) this.pageAgent.pageText(c.text);
    // One whole image, as if the page had sent it in a single part.
    else this.pageAgent.images.pagePart(c.png.byteLength, 0, c.png);
  }

  private send(m: HostMessage): void {
    if (m.kind === 'status') this.o.onStatus?.(m.status);
    this.o.onHostMessage?.(m);
    if (m.kind === 'playback') {
      // A sound packet, like a display body, goes into the transport packet by reference: one copy
      // and no buffer of its own, 100 times a second (head views do not take sound).
      if (!this.canQueue()) return;
      this.packet.addBody('playback', m.channelId, m.type, m.serial, m.body);
      // Alone in the packet, the first waits a little for the next (anything else queued sends
      // the packet as usual: queuedMore).
      this.soundQueued++;
      // A full pair of sound packets alone leaves at once (sendNow: no end of the turn to wait for).
      if (this.otherQueued || this.packet.byteLength >= MAX_PACKET_BYTES) this.queuedMore();
      else if (this.soundQueued >= SOUND_PACKETS_PER_MESSAGE) this.pacer.sendNow();
      else this.pacer.schedule(SOUND_HOLD_MS);
      return;
    }
    const bytes = encodeHostMessage(m);
    this.sendBytes(bytes);
    this.heads?.relay(m, bytes);
  }

  /**
   * Queues a message for the page. Everything queued in one turn of the event loop (the display
   * messages of one socket read, say) goes as one packet (encodeHostPacket): one transport message
   * per SPICE message cost the page more than the drawing.
   */
  private sendBytes(bytes: Uint8Array): void {
    if (!this.canQueue()) return;
    this.packet.addEncoded(bytes);
    this.otherQueued = true;
    this.queuedMore();
  }

  /** A display message queued with its body referenced: the packet copies it once (HostPacketBuilder). */
  private sendDisplay(channelId: number, type: number, serial: bigint, body: Uint8Array): void {
    if (!this.displaySent) {
      this.displaySent = true;
      this.log.debug({ channelId, type }, 'first display message to the page');
    }
    if (!this.canQueue()) return;
    this.packet.addBody('display', channelId, type, serial, body);
    this.otherQueued = true;
    this.queuedMore();
  }

  private canQueue(): boolean {
    if (this.state === 'closed' || !this.endpoint.open) return false;
    // A page that does not read is better dropped than buffered for without end.
    const problem = this.budget.backlogProblem(this.endpoint.bufferedAmount);
    if (problem) {
      this.log.warn({ backlog: this.endpoint.bufferedAmount, why: problem }, 'closing a page that is too far behind');
      this.end({ state: 'error', errorKind: 'timeout', message: problem }, CloseCode.SERVER_ERROR);
      return false;
    }
    return true;
  }

  private queuedMore(): void {
    this.reads.packetGrew();
    if (this.packet.byteLength >= MAX_PACKET_BYTES) this.flush();
    else this.pacer.schedule();
  }

  private flush(): void {
    this.acks.release();
    this.soundQueued = 0;
    this.otherQueued = false;
    if (this.packet.messageCount === 0) return;
    this.pacer.sent();
    if (!this.endpoint.open) {
      this.packet.clear();
      return;
    }
    if (this.endpoint.sendFilled) {
      this.endpoint.sendFilled(this.packet.byteLength, this.fillPacket);
      // Taken or not (a socket gone before it could write), the next packet starts empty.
      this.packet.clear();
    } else this.endpoint.send(this.packet.take() as Uint8Array);
  }

  private readonly fillPacket = (out: Uint8Array): void => this.packet.takeInto(out);

  private onMessage(bytes: Uint8Array | null): void {
    if (this.state === 'closed') return;
    if (bytes === null) {
      this.refuse('the bridge speaks binary messages only');
      return;
    }
    let message: UiMessage;
    try {
      message = decodeUiMessage(bytes, BRIDGE_VERSION);
    } catch (e) {
      this.refuse(isSpiceError(e) ? e.message : String(e));
      return;
    }
    if (this.state === 'hello') {
      if (message.kind === 'head-join') {
        clearTimeout(this.helloTimer);
        this.joinHead(message.head, message.token);
        return;
      }
      if (message.kind === 'input-join') {
        clearTimeout(this.helloTimer);
        this.joinInput(message.token);
        return;
      }
      if (message.kind !== 'hello') {
        this.refuse(`the first message must be HELLO, not ${message.kind}`);
        return;
      }
      clearTimeout(this.helloTimer);
      this.log.debug({ target: message.target }, 'page HELLO');
      this.videoCodecs = message.videoCodecs ?? [];
      this.audio = message.audio ?? noAudioCapabilities;
      this.start(message.target);
      return;
    }
    if (this.joined) {
      let problem: string | null;
      try {
        problem = this.joined.onMessage(message);
      } catch (e) {
        problem = `input the session could not take: ${e instanceof Error ? e.message : String(e)}`;
      }
      if (problem) this.refuse(problem);
      return;
    }
    dispatchPageMessage(this.pageMessages, message);
  }

  /**
   * What the page's own messages do once its session started (after HELLO), one handler per bridge
   * message kind: a kind added to UiMessage does not compile until it is given one here.
   */
  private readonly pageMessages: PageMessageHandlers = {
    'hello': () => this.refuse('HELLO may come only once'),
    'head-join': () => this.refuse('HEAD_JOIN may come only first'),
    'input-join': () => this.refuse('INPUT_JOIN may come only first'),
    'head-enable': (m) => this.heads?.setEnabled(m.head, m.enabled),
    'password': (m) => this.onPasswordAnswer(m.password),
    'password-cancel': () => this.onPasswordAnswer(null),
    'display-size': (m) => this.pageAgent.displaySize(m.width, m.height),
    'clipboard-text': (m) => this.pageAgent.pageText(m.text),
    'mouse-mode-request': (m) => {
      this.mousePreference = m.mode === 'server' ? MouseMode.SERVER : MouseMode.CLIENT;
      this.session?.main.preferMouseMode(this.mousePreference);
    },
    'clipboard-sharing': (m) => this.pageAgent.setSharing({ toGuest: m.toGuest, fromGuest: m.fromGuest }),
    'file-offer': (m) => this.pageAgent.files.handle(m),
    'file-data': (m) => this.pageAgent.files.handle(m),
    'file-cancel': (m) => this.pageAgent.files.handle(m),
    'clipboard-image': (m) => this.pageAgent.images.pagePart(m.total, m.offset, m.data),
    'key-down': (m) => this.pageInput(m),
    'key-up': (m) => this.pageInput(m),
    'key-modifiers': (m) => this.pageInput(m),
    'mouse-position': (m) => this.pageInput(m),
    'mouse-motion': (m) => this.pageInput(m),
    'mouse-press': (m) => this.pageInput(m),
    'mouse-release': (m) => this.pageInput(m),
    'ctrl-alt-del': (m) => this.pageInput(m),
    'stream-error': (m) => {
      this.log.info({ channel: m.channelId, stream: m.streamId, why: m.message }, 'the page cannot decode a video stream; the server is told');
      this.displaySink?.streamError(m.channelId, m.streamId, m.message, m.serial);
    },
    'record-data': (m) => this.pageAudio.handle(m),
    'audio-clock': (m) => this.pageAudio.handle(m),
    'vm-action': (m) => void this.pageVm.handle(m),
    'serial-input': (m) => this.pageSerial.handle(m),
    'print-choose': (m) => this.pagePrinters.handle(m),
    'folder-browse': (m) => this.pageFolders.handle(m),
    'folder-share': (m) => this.pageFolders.handle(m),
    'folder-stop': (m) => this.pageFolders.handle(m),
    'usb-attach': (m) => void this.pageUsb.handle(m),
    'usb-detach': (m) => void this.pageUsb.handle(m),
    'usb-focus': (m) => this.pageUsb.focusChanged(m.focused),
  };

  /** Keys and the mouse from the page, for the session's inputs channel (dropped without a session). */
  private pageInput(m: UiMessage): void {
    if (!this.session) return;
    try {
      forwardInput(this.session, m, this.log);
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
      this.log.warn({ target: targetIndex }, 'refusing a target the host was not given');
      this.end({ state: 'error', ...(this.o.noTarget ?? this.notServed)(targetIndex) }, CloseCode.POLICY);
      return;
    }
    this.state = 'session';
    this.target = target;
    if (this.o.heads) this.heads = this.headGroup(this.o.heads);
    this.pageAgent.setPolicy(target.clipboard);
    const policy = sessionPolicy({ profile: target.profile, flags: target.kiosk ?? NOT_KIOSK });
    // Enforced here, whatever the page does with the policy message.
    this.pageAgent.files.setPolicy(policy.fileTransfer);
    this.pageVm.setAllowed(policy.controls.vmMenu);
    this.pageSerial.setAllowed(policy.controls.vmMenu);
    void this.pagePrinters.setTarget(target.print, policy.controls.bar);
    this.send(pagePolicyMessage(policy));
    // The folder chooser is in the bar: kiosk fixes the folder to the command line's (or none).
    this.pageFolders.setTarget(target.sharedDir, policy.controls.bar);
    this.reconnect = policy.autoReconnect ? this.pageReconnect(target) : null;
    void this.connect(target, target.password);
  }

  /** A password can be asked for when the target came without one, as remote-viewer does. */
  private canAskPassword(e: unknown, target: GatewayTarget): e is SpiceError {
    // While reconnecting the target's own password may have expired (a one-time ticket): ask too.
    const askable = target.password === undefined || this.reconnect?.active === true;
    return isSpiceError(e) && e.kind === 'auth' && askable && this.passwordAttempts < MAX_PASSWORD_ATTEMPTS;
  }

  private askPassword(session: Session, refusal: SpiceError): void {
    if (this.session === session) this.session = null;
    void session.close();
    this.pageAgent.detach();
    this.pageAudio.attach(null);
    this.pageVm.attach(null);
    this.pageSerial.attach(null);
    this.pageUsb.attach(null);
    this.state = 'password';
    this.refusal = refusal;
    this.log.info({ attempts: this.passwordAttempts }, 'the server wants a password; asking the page');
    this.send({ kind: 'password-request', reason: refusal.message });
  }

  /** The page's PASSWORD (a string) or PASSWORD_CANCEL (null). The password is never logged. */
  private onPasswordAnswer(password: string | null): void {
    const target = this.target;
    const refusal = this.refusal;
    if (this.state !== 'password' || !target || !refusal) {
      this.refuse(`${password === null ? 'PASSWORD_CANCEL' : 'PASSWORD'} came without a password request`);
      return;
    }
    this.refusal = null;
    if (password === null) {
      this.end({ state: 'error', errorKind: 'auth', message: `${refusal.message} (the password dialog was cancelled)` }, CloseCode.NORMAL);
      return;
    }
    this.passwordAttempts++;
    this.state = 'session';
    void this.connect(target, password);
  }

  private readonly notServed = (index: number): { errorKind: SpiceErrorKind; message: string } => {
    const n = this.o.targets.length;
    const served = n === 0 ? 'no target' : n === 1 ? 'target 0 only' : `targets 0 to ${n - 1} only`;
    return { errorKind: 'usage', message: `target ${index} was not given to spicedesk serve; it serves ${served}` };
  };

  private async connect(target: GatewayTarget, password: string | undefined): Promise<void> {
    this.linkPassword = password;
    // While reconnecting the page keeps its 'reconnecting' status, which says which attempt this is.
    if (!this.reconnect?.active) this.send({ kind: 'status', status: { state: 'connecting', where: target.plan.where } });
    const sink = new BridgeDisplaySink(
      (channelId, type, serial, body) => {
        if (!this.heads || !headsNeedDisplayBytes(this.heads, type)) return this.sendDisplay(channelId, type, serial, body);
        const bytes = encodeHostMessage({ kind: 'display', channelId, type, serial, body });
        this.sendBytes(bytes);
        this.heads.display(bytes);
      },
      {
        videoCodecs: this.videoCodecs,
        // Only the session that is the page's now sets the page's clock.
        sendMediaTime: (mmNow) => {
          if (this.displaySink === sink) this.send({ kind: 'media-time', mmNow });
        },
      },
    );
    const session = new Session({
      connector: target.plan.connector,
      crypto: nodeTicketCrypto,
      logger: this.log,
      password,
      where: target.plan.where,
      memoryBudget: new MemoryBudget(target.memoryLimit),
      // The codec order of the profile (video-codecs; serve --video-codecs writes it there).
      display: { ...defaultDisplayOptions, videoCodecs: target.profile.videoCodecs ?? null },
      displaySink: sink,
      // What the page's HELLO said it does with sound: the sound channels announce only that.
      audio: this.audio,
      ports: { webdav: this.pageFolders.folder, ...printPorts(target.print, this.log, () => this.pagePrinters.backend()) },
    });
    this.session = session;
    this.displaySink = sink;
    this.pageAgent.attach(session);
    this.pageAudio.attach(session);
    this.pageVm.attach(session);
    this.pageSerial.attach(session);
    this.pageUsb.attach(session);
    let linked = false;
    session.events.on('closed', ({ error }) => {
      // A session given up for a password retry is no longer the page's.
      if (this.session !== session) return;
      // A refused link is answered by connect()'s catch below, which may ask for a password.
      if (!linked && this.canAskPassword(error, target)) return;
      // A reconnect attempt that fails is answered there too; a linked session may come back.
      if (!linked && this.reconnect?.active) return;
      if (linked && this.reconnectAfter(error)) return;
      if (error) this.end(statusOf(error, this.o.authHint), CloseCode.NORMAL);
      else this.end({ state: 'closed', reason: `the session with ${target.plan.where} ended` }, CloseCode.NORMAL);
    });
    // The page shows the display: a display channel refused or cut leaves it nothing to show, so
    // it is told why (and a linked session is brought back when that is worth a try).
    session.events.on('channel-error', ({ channel, error }) => {
      if (channel.type !== ChannelType.DISPLAY || this.session !== session || this.state !== 'session') return;
      if (linked && this.reconnectAfter(error)) {
        session.close();
        return;
      }
      // A reconnect attempt whose display failed counts as a failed attempt.
      if (!linked && this.reconnect?.active && this.reconnect.attemptFailed(error) === 'retry') {
        this.dropSession(session);
        return;
      }
      this.end(statusOf(error, this.o.authHint), CloseCode.NORMAL);
    });
    session.main.preferMouseMode(this.mousePreference);
    session.main.events.on('mouse-mode', (m) => this.send({ kind: 'mouse-mode', supported: m.supported, current: m.current }));
    // Cursor bodies go to the page as they came; it parses and decodes them itself.
    session.events.on('channel-linked', (ch) => {
      this.acks.attach(ch);
      this.reads.attach(ch);
      // Playback and record bodies go to the page likewise (page-audio.ts).
      if (this.session === session) this.pageAudio.channelLinked(session, ch);
      if (this.session === session) this.pageVm.channelLinked(session, ch);
      if (this.session === session) this.pageSerial.channelLinked(session, ch);
      this.pageUsb.channelLinked(session, ch, target.profile, target.usb);
      if (!(ch instanceof CursorChannel)) return;
      ch.events.on('message', ({ type, body, serial }) => this.send({ kind: 'cursor', channelId: ch.id, type, serial, body }));
    });
    const deadline = new Deadline(this.o.linkTimeoutMs);
    try {
      const info = await deadline.race(
        session.connect(),
        () => new SpiceError('unreachable', `${target.plan.where} did not complete the SPICE link within ${Math.round(this.o.linkTimeoutMs / 1000)} s`),
      );
      if (this.state === 'closed' || this.session !== session) return;
      linked = true;
      this.reconnect?.linked();
      this.log.info({ target: target.label, where: target.plan.where }, 'session linked');
      this.send({ kind: 'status', status: { state: 'connected', serverName: info.name ?? target.plan.where, channels: info.channels } });
      this.send({ kind: 'mouse-mode', supported: info.supportedMouseModes, current: info.currentMouseMode });
      this.heads?.linked(target.monitors?.forSession(info.uuid, info.name, this.log));
    } catch (e) {
      if (this.state !== 'session' || this.session !== session) return;
      if (this.canAskPassword(e, target)) this.askPassword(session, e);
      else if (this.reconnect?.attemptFailed(e) === 'retry') this.dropSession(session);
      else this.end(statusOf(e, this.o.authHint), CloseCode.NORMAL);
    }
  }

  /** Tells the page why, closes the connection and the session. */
  private end(status: SessionStatus, code: number): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.o.onStatus?.(status);
    this.heads?.close(status);
    // Sent past the backlog limit on purpose: this is the page's last message, after what is queued.
    this.flush();
    if (this.endpoint.open) this.endpoint.send(encodeHostPacket([encodeHostMessage({ kind: 'status', status })]));
    // A WebSocket close reason is limited to 123 bytes; the full text went in the STATUS message.
    const reason = status.state === 'error' ? status.message.slice(0, 100) : '';
    this.endpoint.close(code, Buffer.byteLength(reason) <= 123 ? reason : '');
    this.shutdown();
  }

  private pageReconnect(target: GatewayTarget): PageReconnect {
    return new PageReconnect(target.plan.where, {
      status: (status) => this.send({ kind: 'status', status }),
      resetDisplay: () => this.send({ kind: 'display-reset' }),
      connect: () => {
        if (this.state === 'session' && this.target) void this.connect(this.target, this.linkPassword);
      },
    }, this.log, this.o.reconnectBackoff);
  }

  /** A linked session ended: true when it is being brought back, false to end the page. */
  private reconnectAfter(error: Error | undefined): boolean {
    if (!this.reconnect?.sessionEnded(error)) return false;
    this.session = null;
    this.pageAgent.detach();
    this.pageAudio.attach(null);
    this.pageVm.attach(null);
    this.pageSerial.attach(null);
    this.pageUsb.attach(null);
    this.send({ kind: 'agent', connected: false, monitorsConfig: false, clipboard: false });
    this.heads?.sessionLost();
    return true;
  }

  /** A failed reconnect attempt's session, given up while the next attempt waits. */
  private dropSession(session: Session): void {
    if (this.session === session) this.session = null;
    this.pageAgent.detach();
    this.pageAudio.attach(null);
    this.pageVm.attach(null);
    this.pageSerial.attach(null);
    this.pageUsb.attach(null);
    void session.close();
  }

  /** This page as a view of guest head `head` in the session whose token it gave (HEAD_JOIN). */
  private joinHead(head: number, token: Uint8Array): void {
    const group = this.o.heads?.find(token);
    if (!group) {
      this.log.warn({ head }, 'refusing a view with an unknown head token');
      this.end({ state: 'error', errorKind: 'usage', message: 'this head window belongs to a session that is over (or its link is wrong); open it again from the window of head 1' }, CloseCode.POLICY);
      return;
    }
    const joined = group.join(head, { sendBytes: (bytes) => this.sendBytes(bytes), end: (status) => this.end(status, CloseCode.NORMAL) });
    if (typeof joined === 'string') {
      this.end({ state: 'error', errorKind: 'usage', message: joined }, CloseCode.POLICY);
      return;
    }
    this.state = 'session';
    this.joined = joined;
    this.joinedGroup = group;
    countJoinedView(group, 1);
  }

  /** This connection as a page's input socket (INPUT_JOIN): its key and pointer messages go to the session whose token it gave. */
  private joinInput(token: Uint8Array): void {
    const group = this.o.heads?.find(token);
    const joined = group ? group.joinInput({ sendBytes: () => {}, end: (status) => this.end(status, CloseCode.NORMAL) }) : 'unknown';
    if (typeof joined === 'string') {
      this.log.warn('refusing an input socket with an unknown or ended session token');
      this.end({ state: 'error', errorKind: 'usage', message: 'this input socket names a session that is over; the page sends its input through its bridge' }, CloseCode.POLICY);
      return;
    }
    this.state = 'session';
    this.joined = joined;
  }

  private headGroup(registry: HeadRegistry): HeadGroup {
    const group = new HeadGroup(registry, {
      log: this.log,
      session: () => this.session,
      sendToOwner: (m) => this.send(m),
      relayout: () => this.pageAgent.relayout(),
      pageText: (text) => this.pageAgent.pageText(text),
      input: (m) => {
        if (this.session) forwardInput(this.session, m, this.log);
      },
    });
    this.pageAgent.layoutOf = (size) => group.layoutFor(size);
    return group;
  }

  /** Releases everything; safe to call more than once. */
  shutdown(): void {
    this.leaveBudget();
    this.reconnect?.stop();
    this.state = 'closed';
    this.joined?.leave();
    if (this.joinedGroup) countJoinedView(this.joinedGroup, -1);
    this.joinedGroup = null;
    this.heads?.close({ state: 'closed', reason: 'the window of head 1 closed' });
    clearTimeout(this.helloTimer);
    const session = this.session;
    this.session = null;
    this.pageAgent.detach();
    this.pageAudio.attach(null);
    this.pageVm.attach(null);
    this.pageSerial.attach(null);
    this.pageUsb.attach(null);
    if (session) {
      // Keys and buttons the page held must not stay pressed in the guest.
      inputsOf(session)?.releaseAll();
      void session.close();
    }
    this.endpoint.close(CloseCode.GOING_AWAY, '');
  }
}

const SERVE_AUTH_HINT = 'give the password in the TARGET or in SPICE_PASSWORD when starting spicedesk serve, or neither to be asked for it in the page';

function statusOf(e: unknown, authHint = SERVE_AUTH_HINT): SessionStatus {
  if (isSpiceError(e)) {
    const hint = e.kind === 'auth' ? ` (${authHint})` : '';
    return { state: 'error', errorKind: e.kind, message: e.message + hint };
  }
  return { state: 'error', errorKind: 'internal', message: `unexpected error: ${e instanceof Error ? e.message : String(e)}` };
}
