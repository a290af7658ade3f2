// One session, several views: the page of guest head 0 owns the session (its BridgeHost), and a
// view of head N > 0 joins it with the session's token (heads-bridge.ts). The group relays what
// the owner's page gets to every joined view, keeps the heads the server describes
// (MONITORS_CONFIG), and turns the views' sizes and the enabled heads into the guest's layout.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { HostMessage, SessionStatus, UiMessage } from '../../protocol/bridge/bridge-messages.ts';
import { HostKind } from '../../protocol/bridge/kinds.ts';
import { encodeHostMessage } from '../../protocol/bridge/host-codec.ts';
import { DisplayMsg, parseDisplayMessage } from '../../protocol/channels/display/display-messages.ts';
import type { HeadRequest } from '../../protocol/channels/main/agent/monitors.ts';
import { ChannelType } from '../../protocol/link/constants.ts';
import type { Logger } from '../../protocol/logger.ts';
import { guestHeadsOf, headLayout, type GuestHead, type HeadWish } from '../../protocol/monitors/head-layout.ts';
import { HEAD_TOKEN_BYTES, INPUT_LANE_KINDS } from '../../protocol/bridge/heads-messages.ts';
import { MAX_MAPPED_HEADS } from '../../protocol/monitors/monitor-mapping.ts';
import type { Session } from '../../protocol/session/session.ts';
import { relinkChannel } from './relink.ts';
import type { SessionMapping } from './session-mapping.ts';

/** A joined view's end of its bridge, as its BridgeHost gives it. */
export interface HeadViewEnd {
  sendBytes(bytes: Uint8Array): void;
  /** Ends the view's bridge with this status. */
  end(status: SessionStatus): void;
}

/** What the group needs from the owning BridgeHost. */
export interface HeadGroupHooks {
  log: Logger;
  /** The session now (null while there is none: before the link, while reconnecting). */
  session(): Session | null;
  /** Head 0's page gets this (the token, the heads). */
  sendToOwner(m: HostMessage): void;
  /** The layout changed: the owner's agent sends it (PageAgent.relayout). */
  relayout(): void;
  /** Clipboard text from a joined view, as if head 0's page had sent it. */
  pageText(text: string): void;
  /**
   * Input from a joined view, for the session's inputs channel as if head 0's page had sent it
   * (the host forwards it: host/input-forwarding.ts, a layer above this folder).
   */
  input(m: UiMessage): void;
}

/** Host messages every view gets, not only head 0's page. */
const RELAYED = new Set<HostMessage['kind']>(['status', 'cursor', 'mouse-mode', 'agent', 'clipboard-text', 'display-reset']);
/** Of those, the state a view that joins late needs first: the last of each kind. */
const REPLAYED = new Set<HostMessage['kind']>(['status', 'mouse-mode', 'agent']);

/** The groups of one host (gateway or app): where HEAD_JOIN tokens are looked up. */
export class HeadRegistry {
  private readonly groups = new Set<HeadGroup>();

  add(group: HeadGroup): void {
    this.groups.add(group);
  }

  remove(group: HeadGroup): void {
    this.groups.delete(group);
  }

  /** The group whose token this is; compared in constant time, every group tried. */
  find(token: Uint8Array): HeadGroup | undefined {
    if (token.byteLength !== HEAD_TOKEN_BYTES) return undefined;
    let found: HeadGroup | undefined;
    for (const g of this.groups) if (timingSafeEqual(g.token, token)) found = g;
    return found;
  }

  get size(): number {
    return this.groups.size;
  }
}

export class HeadGroup {
  readonly token: Uint8Array = randomBytes(HEAD_TOKEN_BYTES);
  private readonly views = new Map<number, HeadViewEnd>();
  /** The pages' input sockets (INPUT_JOIN): ended with the session, sent nothing else. */
  private readonly inputSockets = new Set<HeadViewEnd>();
  /** Each head's wanted size, from its view (resize-to-fit); head 0's is the PageAgent's. */
  private readonly sizes: ({ width: number; height: number } | null)[] = new Array<null>(MAX_MAPPED_HEADS).fill(null);
  /** Heads the guest's layout should have, as a bit mask; head 0 always. */
  private enabledMask = 1;
  /** The heads of each display channel, as its last MONITORS_CONFIG said. */
  private readonly guestHeads = new Map<number, GuestHead[]>();
  private maxHeads = 1;
  /** Each display channel's max_allowed, as its last MONITORS_CONFIG said. */
  private readonly maxAllowed = new Map<number, number>();
  /** Client monitor positions from the mapping (the Electron windows), by head. */
  private monitorPositions: ({ x: number; y: number } | undefined)[] = [];
  private closed = false;
  private readonly latest = new Map<HostMessage['kind'], Uint8Array>();

  constructor(
    private readonly registry: HeadRegistry,
    private readonly hooks: HeadGroupHooks,
  ) {
    registry.add(this);
  }

  /** A message just sent to head 0's page; the ones every view needs go to the joined views too. */
  relay(m: HostMessage, bytes: Uint8Array): void {
    if (!RELAYED.has(m.kind)) return;
    if (REPLAYED.has(m.kind)) this.latest.set(m.kind, bytes);
    for (const v of this.views.values()) v.sendBytes(bytes);
  }

  /** An encoded DISPLAY message, as it goes to head 0's page: to every view, and read for MONITORS_CONFIG. */
  display(bytes: Uint8Array): void {
    for (const v of this.views.values()) v.sendBytes(bytes);
    if (bytes[0] !== HostKind.DISPLAY || bytes.byteLength < 12) return;
    const type = bytes[2] | (bytes[3] << 8);
    if (type !== DisplayMsg.MONITORS_CONFIG) return;
    try {
      const m = parseDisplayMessage(type, bytes.subarray(12));
      if (m?.type !== 'monitors-config') return;
      const channelId = bytes[1];
      this.maxAllowed.set(channelId, m.maxAllowed);
      this.maxHeads = maxHeadsOf(this.maxAllowed);
      this.guestHeads.set(channelId, guestHeadsOf(channelId, m.heads, MAX_MAPPED_HEADS));
      this.sendHeads();
    } catch (e) {
      this.hooks.log.warn({ err: (e as Error).message }, 'a MONITORS_CONFIG the views cannot use');
    }
  }

  /**
   * The session (re)linked: head 0's page gets the token and the monitor mapping (for placing the
   * head windows it opens), every view the heads.
   */
  linked(mapping?: SessionMapping): void {
    this.hooks.sendToOwner({ kind: 'head-token', token: this.token });
    if (mapping) this.hooks.sendToOwner({ kind: 'head-mapping', source: mapping.source, mapping: mapping.mapping ? [...mapping.mapping] : [] });
    this.sendHeads();
  }

  get heads(): GuestHead[] {
    return [...this.guestHeads.values()].flat().sort((a, b) => a.head - b.head);
  }

  private headsMessage(): HostMessage {
    let joined = 0;
    for (const h of this.views.keys()) joined |= 1 << h;
    return { kind: 'heads', maxHeads: this.maxHeads, enabled: this.enabledMask, joined, heads: this.heads };
  }

  private sendHeads(): void {
    if (this.closed) return;
    const m = this.headsMessage();
    this.hooks.sendToOwner(m);
    const bytes = encodeHostMessage(m);
    for (const v of this.views.values()) v.sendBytes(bytes);
  }

  /**
   * A view asks to show head `head`: refused (a sentence) when another view has it or the guest
   * cannot have that many heads. The display and cursor channels are linked again so that every
   * view, the new one too, gets the whole screen from the start (the views reset first).
   */
  join(head: number, view: HeadViewEnd): string | JoinedHead {
    if (this.closed) return 'the session of this head is over';
    if (head < 1 || head >= MAX_MAPPED_HEADS) return `head ${head + 1} is not one spicedesk shows (heads 2 to ${MAX_MAPPED_HEADS} join a session)`;
    if (head >= this.maxHeads && this.guestHeads.size > 0) return `the guest has at most ${this.maxHeads} head${this.maxHeads === 1 ? '' : 's'}; head ${head + 1} cannot be shown`;
    if (this.views.has(head)) return `head ${head + 1} already has a window`;
    const session = this.hooks.session();
    if (!session) return 'the session is not linked yet; try again once it is';
    this.hooks.log.info({ head }, 'a view joins the session');
    for (const bytes of this.latest.values()) view.sendBytes(bytes);
    // The view learns its head (and so its display and cursor channel) before anything of the relinked channels.
    const relinks = this.relinkScreen(session, () => {
      this.views.set(head, view);
      this.sendHeads();
    });
    this.enabledMask |= 1 << head;
    void relinks
      .catch((e: Error) => this.hooks.log.warn({ err: e.message }, 'the screen could not be linked again for a joining view'))
      .then(() => {
        this.sendHeads();
        this.hooks.relayout();
      });
    return new JoinedHead(this, head, view);
  }

  /**
   * Links the display and cursor channels again (all of them: QEMU has one of each per head).
   * `addView` and the reset every view gets run first, in the same turn as the first display
   * channel is closed (relinkChannel closes it before it waits for anything): the new view gets
   * nothing older than the reset, and every relinked channel's surfaces come after it. Waiting for
   * that close instead left the view out whenever the first channel could not be relinked (not
   * linked yet, or failed): the other channels' new surfaces then went to head 1's page alone, and
   * the reset that came last wiped them there too.
   */
  private async relinkScreen(session: Session, addView: () => void): Promise<void> {
    const displays = [...session.channels.values()].filter((c) => c.type === ChannelType.DISPLAY).map((c) => c.id);
    addView();
    // Relayed to the joined views by the owner's send, the new one included.
    this.hooks.sendToOwner({ kind: 'display-reset' });
    for (const id of displays.sort((a, b) => a - b)) await relinkChannel(session, ChannelType.DISPLAY, id, this.hooks.log);
    // Each display channel has its own cursor channel, whose state a view showing that channel needs.
    const cursors = [...session.channels.values()].filter((c) => c.type === ChannelType.CURSOR).map((c) => c.id);
    for (const id of cursors.sort((a, b) => a - b)) await relinkChannel(session, ChannelType.CURSOR, id, this.hooks.log);
  }

  /**
   * The owner's session dropped and is being brought back (reconnect): the joined views stay, with
   * their sizes and the enabled heads, but the old guest's heads go, so that no view crops the new
   * session's screen with the old one's rectangles. The new session's MONITORS_CONFIG brings them
   * back, and the owner's agent lays the new guest out from the views (PageAgent re-applies it).
   */
  sessionLost(): void {
    if (this.closed) return;
    this.guestHeads.clear();
    this.sendHeads();
  }

  /** From head 0's page: switch a head on or off in the guest's layout. */
  setEnabled(head: number, enabled: boolean): void {
    if (head < 1 || head >= MAX_MAPPED_HEADS) return;
    if (enabled) this.enabledMask |= 1 << head;
    else this.enabledMask &= ~(1 << head);
    this.hooks.log.info({ head, enabled }, 'head switched by the page');
    this.sendHeads();
    this.hooks.relayout();
  }

  /** Client monitor positions by head (the Electron windows on their monitors); side by side without. */
  setMonitorPositions(positions: ({ x: number; y: number } | undefined)[]): void {
    this.monitorPositions = positions;
    this.hooks.relayout();
  }

  setSize(head: number, width: number, height: number): void {
    this.sizes[head] = { width, height };
    this.hooks.relayout();
  }

  /**
   * The layout to ask of the guest given head 0's size (the owner page's, or the guest's own when
   * that page does not fit the guest): enabled heads at their views' sizes, or at the size the
   * guest gives them now, or head 0's.
   */
  layoutFor(head0: { width: number; height: number } | null): (HeadRequest | null)[] | null {
    const current = this.heads;
    const base = head0 ?? current.find((h) => h.head === 0) ?? null;
    if (!base) return null;
    if (this.enabledMask === 1 && !head0) return null;
    const wishes: (HeadWish | null)[] = [];
    for (let head = 0; head < MAX_MAPPED_HEADS; head++) {
      if (!(this.enabledMask & (1 << head))) {
        wishes.push(null);
        continue;
      }
      const guest = current.find((h) => h.head === head);
      const size = head === 0 ? base : (this.sizes[head] ?? guest ?? base);
      const at = this.monitorPositions[head];
      wishes.push({ width: size.width, height: size.height, ...(at ? { monitorX: at.x, monitorY: at.y } : {}) });
    }
    return headLayout(wishes);
  }

  /** A joined view is gone: its head leaves the layout, as closing a display window does in remote-viewer. */
  leave(head: number, view: HeadViewEnd): void {
    if (this.views.get(head) !== view) return;
    this.views.delete(head);
    this.sizes[head] = null;
    if (this.closed) return;
    this.enabledMask &= ~(1 << head);
    this.hooks.log.info({ head }, 'a view left the session');
    this.sendHeads();
    this.hooks.relayout();
  }

  input(m: UiMessage): void {
    this.hooks.input(m);
  }

  /** A page's input socket joins (INPUT_JOIN): its key and pointer messages go to the session as the page's. */
  joinInput(socket: HeadViewEnd): string | JoinedInput {
    if (this.closed) return 'the session of this page is over';
    this.inputSockets.add(socket);
    return new JoinedInput(this, socket);
  }

  leaveInput(socket: HeadViewEnd): void {
    this.inputSockets.delete(socket);
  }

  pageText(text: string): void {
    this.hooks.pageText(text);
  }

  /** The owner's session is over for good: every joined view ends with the same status. */
  close(status: SessionStatus): void {
    if (this.closed) return;
    this.closed = true;
    this.registry.remove(this);
    for (const v of [...this.views.values()]) v.end(status);
    this.views.clear();
    for (const s of [...this.inputSockets]) s.end(status);
    this.inputSockets.clear();
  }
}

/**
 * How many heads the views may show: channel N's heads are numbered from N, so it allows heads up
 * to N + its max_allowed (one channel with several heads, or one channel per head, whichever order
 * their MONITORS_CONFIGs come in).
 */
export function maxHeadsOf(maxAllowed: ReadonlyMap<number, number>): number {
  let most = 1;
  for (const [channelId, allowed] of maxAllowed) most = Math.max(most, channelId + Math.max(1, allowed));
  return Math.min(MAX_MAPPED_HEADS, most);
}

const FIRST_MESSAGE_NAMES = { 'hello': 'HELLO', 'head-join': 'HEAD_JOIN', 'input-join': 'INPUT_JOIN' } as const;

/** A joined view's messages, handled for the group. */
export class JoinedHead {
  constructor(
    private readonly group: HeadGroup,
    readonly head: number,
    private readonly view: HeadViewEnd,
  ) {}

  /** A message from the view after HEAD_JOIN; a sentence when the view must be refused. */
  onMessage(m: UiMessage): string | null {
    switch (m.kind) {
      case 'hello':
      case 'head-join':
      case 'input-join':
        return `${FIRST_MESSAGE_NAMES[m.kind]} may come only first`;
      case 'password':
      case 'password-cancel':
        return 'a password is answered in the window of head 1';
      case 'head-enable':
        return 'heads are switched on and off from the window of head 1';
      case 'display-size':
        this.group.setSize(this.head, m.width, m.height);
        return null;
      case 'clipboard-text':
        this.group.pageText(m.text);
        return null;
      case 'clipboard-sharing':
        return null;
      // Transfers and image parts are kept per page by head 1's host; a second page's would mix
      // with them. Files are refused with a sentence in this view's list; images wait until head 1's
      // window has the focus (its page offers the local clipboard then).
      case 'file-offer':
        this.view.sendBytes(encodeHostMessage({ kind: 'file-result', id: m.id, outcome: 'refused', message: 'drop files on the window of head 1 to send them' }));
        return null;
      case 'file-data':
      case 'file-cancel':
      case 'clipboard-image':
        return null;
      // The streams are head 1's: its page reports those it cannot decode; a view's failure to show
      // one does not stop it for head 1's window.
      case 'stream-error':
        return null;
      // Sound is head 1's window's (only it plays and records, and its clock times the video).
      case 'record-data':
      case 'audio-clock':
        return null;
      default:
        this.group.input(m);
        return null;
    }
  }

  leave(): void {
    this.group.leave(this.head, this.view);
  }
}

/** A page's input socket after INPUT_JOIN: key and pointer messages only, as the page's own. */
export class JoinedInput {
  constructor(
    private readonly group: HeadGroup,
    private readonly socket: HeadViewEnd,
  ) {}

  /** A message on the input socket; a sentence when the socket must be refused. */
  onMessage(m: UiMessage): string | null {
    if (!INPUT_LANE_KINDS.has(m.kind)) return `an input socket carries key and pointer messages only, not ${m.kind}`;
    this.group.input(m);
    return null;
  }

  leave(): void {
    this.group.leaveInput(this.socket);
  }
}
