// What a page asks of the guest agent: its display area as the guest's resolution (head 0) and
// text crossing the clipboard both ways. The page's wishes outlive sessions (a password retry
// starts a new one) and agent restarts: they are applied whenever the agent announces itself.
import type { HostMessage } from '../../protocol/bridge/bridge-messages.ts';
import { Limits } from '../../protocol/bridge/limits.ts';
import { AgentCap, ClipboardSelection, ClipboardType } from '../../protocol/channels/main/agent/agent-messages.ts';
import type { Agent } from '../../protocol/channels/main/agent/agent.ts';
import type { HeadRequest } from '../../protocol/channels/main/agent/monitors.ts';
import type { ClipboardSharing } from '../../protocol/channels/main/agent/clipboard.ts';
import type { Logger } from '../../protocol/logger.ts';
import type { Session } from '../../protocol/session/session.ts';
import { PageClipboardImages } from './page-clipboard-images.ts';
import { PageFiles } from './page-files.ts';
import type { PageBudget } from './page-budget.ts';

const utf8 = new TextEncoder();

export class PageAgent {
  private agent: Agent | null = null;
  private size: { width: number; height: number } | null = null;
  private sizeSent: string | null = null;
  private sharing: ClipboardSharing = { toGuest: true, fromGuest: true };
  /** The guest layout for the page's size; several heads when views of other heads joined (monitors/head-group.ts). */
  layoutOf: (size: { width: number; height: number } | null) => (HeadRequest | null)[] | null = (size) => (size ? [size] : null);

  /** What the host allows (`--clipboard`), and what the page asked for within it. */
  private policy: ClipboardSharing = { toGuest: true, fromGuest: true };
  private requested: ClipboardSharing = { toGuest: true, fromGuest: true };
  /** Files dropped on the page (page-files.ts) and clipboard images (page-clipboard-images.ts). */
  readonly files: PageFiles;
  readonly images: PageClipboardImages;

  constructor(
    private readonly send: (m: HostMessage) => void,
    private readonly log: Logger,
    budget?: PageBudget,
  ) {
    this.files = new PageFiles(send, log);
    this.images = new PageClipboardImages(send, log, () => this.sharing, budget);
  }

  /** The host's clipboard policy for this page's target; the page's choice stays within it. */
  setPolicy(policy: ClipboardSharing | undefined): void {
    this.policy = { ...(policy ?? { toGuest: true, fromGuest: true }) };
    this.setSharing(this.requested);
  }

  /** Follows this session's agent from now on (the previous session's is forgotten). */
  attach(session: Session): void {
    const agent = session.main.agent;
    this.agent = agent;
    this.sizeSent = null;
    const mine = (): boolean => this.agent === agent;
    agent.events.on('connected', () => mine() && this.reportState());
    agent.events.on('disconnected', () => {
      if (!mine()) return;
      this.sizeSent = null;
      this.reportState();
    });
    agent.events.on('caps', () => {
      if (!mine()) return;
      agent.clipboard.setSharing(this.sharing);
      this.reportState();
      this.applySize();
    });
    agent.clipboard.events.on('guest-grab', ({ selection, types }) => {
      if (mine() && selection === ClipboardSelection.CLIPBOARD && types.includes(ClipboardType.UTF8_TEXT)) void this.fetchGuestText(agent);
    });
    agent.clipboard.setSharing(this.sharing);
    this.files.attach(agent);
    this.images.attach(agent);
    this.send({ kind: 'clipboard-policy', ...this.policy });
    if (agent.connected) this.reportState();
  }

  detach(): void {
    this.agent = null;
    this.files.detach();
    this.images.detach();
  }

  private get caps(): { monitors: boolean; clipboard: boolean } {
    const caps = this.agent?.connected ? this.agent.peerCaps : null;
    return { monitors: caps?.has(AgentCap.MONITORS_CONFIG) ?? false, clipboard: caps?.has(AgentCap.CLIPBOARD_BY_DEMAND) ?? false };
  }

  private reportState(): void {
    const caps = this.caps;
    this.send({ kind: 'agent', connected: this.agent?.connected ?? false, monitorsConfig: caps.monitors, clipboard: caps.clipboard });
  }

  /** The page's display area in device pixels; the page debounces, so it goes out at once. */
  displaySize(width: number, height: number): void {
    this.size = { width, height };
    this.applySize();
  }

  private applySize(): void {
    const agent = this.agent;
    const layout = this.layoutOf(this.size);
    // Without an agent that sets modes the page keeps scaling the guest's screen.
    if (!agent || !layout || !this.caps.monitors) return;
    const key = JSON.stringify(layout);
    if (key === this.sizeSent) return;
    this.sizeSent = key;
    agent.monitors.configure(layout).catch((e: Error) => {
      this.sizeSent = null;
      this.log.warn({ error: e.message }, 'the guest resolution could not be set');
    });
  }

  /** The heads or their sizes changed: the layout goes out again if it differs. */
  relayout(): void {
    this.applySize();
  }

  setSharing(sharing: ClipboardSharing): void {
    this.requested = { ...sharing };
    this.sharing = { toGuest: sharing.toGuest && this.policy.toGuest, fromGuest: sharing.fromGuest && this.policy.fromGuest };
    this.log.info({ toGuest: sharing.toGuest, fromGuest: sharing.fromGuest }, 'clipboard sharing set by the page');
    this.agent?.clipboard.setSharing(this.sharing);
  }

  /**
   * Whether clipboard contents from the page's side would reach the guest now: sharing to the
   * guest allowed (host policy and page setting) and an agent that shares the clipboard. The
   * Electron window reads the local clipboard only then (electron/focus-clipboard.ts).
   */
  get takesPageClipboard(): boolean {
    return this.sharing.toGuest && this.agent !== null && this.caps.clipboard;
  }

  /** Text from the page's clipboard: the guest's CLIPBOARD offers it from now on. */
  pageText(text: string): void {
    const agent = this.agent;
    if (!this.sharing.toGuest) {
      this.log.debug('clipboard text from the page dropped: sharing to the guest is off');
      return;
    }
    if (!agent || !this.caps.clipboard) {
      this.log.debug('clipboard text from the page dropped: no guest agent shares the clipboard');
      return;
    }
    agent.clipboard.setText(text).catch((e: Error) => this.log.warn({ error: e.message }, 'the guest clipboard could not be set'));
  }

  private async fetchGuestText(agent: Agent): Promise<void> {
    if (!this.sharing.fromGuest) return;
    try {
      const text = await agent.clipboard.requestText();
      if (this.agent !== agent || !this.sharing.fromGuest) return;
      const size = utf8.encode(text).byteLength;
      if (size > Limits.maxClipboardTextBytes) {
        this.log.warn({ size, max: Limits.maxClipboardTextBytes }, 'guest clipboard text too large for the page, not shared');
        return;
      }
      this.send({ kind: 'clipboard-text', text });
    } catch (e) {
      this.log.debug({ error: (e as Error).message }, 'the guest clipboard text could not be read');
    }
  }
}
