// The guest agent as the main channel sees it: present or not, its capabilities (announced both
// ways), and the message table that routes what it sends to the clipboard, the monitor layout and
// file transfers. Each agent connection starts from a clean state; whatever was under way when
// the agent or the channel went away fails with a sentence that says so.
import { CapSet } from '../../../link/caps.ts';
import { Emitter } from '../../../emitter.ts';
import type { Logger } from '../../../logger.ts';
import { SpiceError } from '../../../wire/errors.ts';
import {
  AgentCap,
  AgentMsg,
  agentMsgName,
  AgentReplyResult,
  buildAnnounceCapabilities,
  buildMaxClipboard,
  parseAnnounceCapabilities,
  parseGraphicsDeviceInfo,
  parseReply,
  type AgentHeader,
  type AgentReply,
  type GraphicsDevice,
} from './agent-messages.ts';
import { AgentTransport, type AgentLink } from './agent-transport.ts';
import { AgentClipboard, DEFAULT_MAX_CLIPBOARD } from './clipboard.ts';
import { AgentFileTransfers } from './file-transfer.ts';
import { AgentMonitors } from './monitors.ts';

/** What this client can do, announced to the agent (spice-gtk's set, less MOUSE_STATE). */
export const CLIENT_AGENT_CAPS: readonly number[] = [
  AgentCap.MONITORS_CONFIG,
  AgentCap.REPLY,
  AgentCap.DISPLAY_CONFIG,
  AgentCap.CLIPBOARD_BY_DEMAND,
  AgentCap.CLIPBOARD_SELECTION,
  AgentCap.SPARSE_MONITORS_CONFIG,
  AgentCap.MONITORS_CONFIG_POSITION,
  AgentCap.FILE_XFER_DETAILED_ERRORS,
  AgentCap.CLIPBOARD_NO_RELEASE_ON_REGRAB,
  AgentCap.CLIPBOARD_GRAB_SERIAL,
];

/** Room for the message header fields in front of the largest clipboard contents. */
const CLIPBOARD_MESSAGE_OVERHEAD = 64;
/** The smallest incoming message limit, whatever the clipboard limit: other messages are small. */
const MIN_MESSAGE_LIMIT = 1024 * 1024;
/** The largest message ever buffered, even with no clipboard limit. */
const MAX_MESSAGE_LIMIT = 512 * 1024 * 1024;

export type AgentEvents = {
  /** The agent is there (AGENT_START sent); its capabilities follow with `caps`. */
  connected: void;
  /** The agent announced its capabilities: clipboard, monitors and files can be used. */
  caps: CapSet;
  disconnected: { reason: string };
  reply: AgentReply;
  'graphics-devices': GraphicsDevice[];
};

export interface AgentHost {
  /** Sends one AGENT_DATA body on the main channel. */
  sendAgentData(chunk: Uint8Array): void;
  readonly log: Logger;
}

interface AgentHandler {
  name: string;
  handle(agent: Agent, body: Uint8Array, header: AgentHeader): void;
}

const fromServerOnly = (name: string): AgentHandler => ({
  name,
  handle: (agent) => agent.log.warn(`ignoring agent message ${name}, which only a client sends`),
});

/** Every agent message type, with what a message of that type from the guest means here. */
const agentHandlers: Record<(typeof AgentMsg)[keyof typeof AgentMsg], AgentHandler> = {
  [AgentMsg.MOUSE_STATE]: fromServerOnly('MOUSE_STATE'),
  [AgentMsg.MONITORS_CONFIG]: fromServerOnly('MONITORS_CONFIG'),
  [AgentMsg.REPLY]: {
    name: 'REPLY',
    handle(agent, body) {
      const reply = parseReply(body);
      const level = reply.result === AgentReplyResult.SUCCESS ? 'debug' : 'warn';
      agent.log[level]({ to: agentMsgName(reply.type), result: reply.result === AgentReplyResult.SUCCESS ? 'success' : 'error' }, 'agent reply');
      agent.events.emit('reply', reply);
    },
  },
  [AgentMsg.CLIPBOARD]: { name: 'CLIPBOARD', handle: (agent, body) => agent.clipboard.handleData(body) },
  [AgentMsg.DISPLAY_CONFIG]: fromServerOnly('DISPLAY_CONFIG'),
  [AgentMsg.ANNOUNCE_CAPABILITIES]: {
    name: 'ANNOUNCE_CAPABILITIES',
    handle: (agent, body) => agent.takeCapabilities(body),
  },
  [AgentMsg.CLIPBOARD_GRAB]: { name: 'CLIPBOARD_GRAB', handle: (agent, body) => agent.clipboard.handleGrab(body) },
  [AgentMsg.CLIPBOARD_REQUEST]: { name: 'CLIPBOARD_REQUEST', handle: (agent, body) => agent.clipboard.handleRequest(body) },
  [AgentMsg.CLIPBOARD_RELEASE]: { name: 'CLIPBOARD_RELEASE', handle: (agent, body) => agent.clipboard.handleRelease(body) },
  [AgentMsg.FILE_XFER_START]: fromServerOnly('FILE_XFER_START'),
  [AgentMsg.FILE_XFER_STATUS]: { name: 'FILE_XFER_STATUS', handle: (agent, body) => agent.files.handleStatus(body) },
  [AgentMsg.FILE_XFER_DATA]: {
    name: 'FILE_XFER_DATA',
    // Guest-to-client transfers are not part of the protocol spice-vdagent speaks.
    handle: (agent) => agent.log.warn('ignoring FILE_XFER_DATA from the guest: spicedesk only sends files to the guest'),
  },
  [AgentMsg.CLIENT_DISCONNECTED]: fromServerOnly('CLIENT_DISCONNECTED'),
  [AgentMsg.MAX_CLIPBOARD]: fromServerOnly('MAX_CLIPBOARD'),
  [AgentMsg.AUDIO_VOLUME_SYNC]: fromServerOnly('AUDIO_VOLUME_SYNC'),
  [AgentMsg.GRAPHICS_DEVICE_INFO]: {
    name: 'GRAPHICS_DEVICE_INFO',
    handle: (agent, body) => agent.events.emit('graphics-devices', parseGraphicsDeviceInfo(body)),
  },
};

export class Agent implements AgentLink {
  readonly events = new Emitter<AgentEvents>();
  readonly transport: AgentTransport;
  readonly clipboard: AgentClipboard;
  readonly monitors: AgentMonitors;
  readonly files: AgentFileTransfers;
  readonly log: Logger;
  connected = false;
  peerCaps: CapSet | null = null;
  /** Malformed pieces of the agent stream seen (each logged as an error and skipped). */
  malformedCount = 0;

  constructor(host: AgentHost) {
    this.log = host.log;
    this.transport = new AgentTransport({
      sendChunk: (chunk) => host.sendAgentData(chunk),
      deliver: ({ header, body }) => this.dispatch(header, body),
      malformed: (reason) => this.malformed(reason),
      maxMessageSize: messageLimitFor(DEFAULT_MAX_CLIPBOARD),
    });
    this.clipboard = new AgentClipboard(this);
    this.monitors = new AgentMonitors(this);
    this.files = new AgentFileTransfers(this);
  }

  send(type: number, body: Uint8Array): Promise<void> {
    if (!this.connected) return Promise.reject(new SpiceError('protocol', `${agentMsgName(type)} was not sent: no guest agent is connected`));
    return this.transport.send(type, body);
  }

  /** Sets the clipboard limit both ways (the agent is told when it can be). */
  setMaxClipboard(max: number): void {
    this.clipboard.maxClipboard = max;
    this.transport.maxMessageSize = messageLimitFor(max);
    this.sendMaxClipboard();
  }

  private sendMaxClipboard(): void {
    if (this.connected && this.peerCaps?.has(AgentCap.MAX_CLIPBOARD)) {
      this.send(AgentMsg.MAX_CLIPBOARD, buildMaxClipboard(this.clipboard.maxClipboard)).catch(() => {});
    }
  }

  /** Resolves with the agent's capabilities once it announced them. */
  whenReady(): Promise<CapSet> {
    if (this.connected && this.peerCaps) return Promise.resolve(this.peerCaps);
    return new Promise((resolve, reject) => {
      const offs = [
        this.events.on('caps', (caps) => {
          offs.forEach((off) => off());
          resolve(caps);
        }),
        this.events.on('disconnected', ({ reason }) => {
          offs.forEach((off) => off());
          reject(new SpiceError('protocol', `the guest agent went away: ${reason}`));
        }),
      ];
    });
  }

  /** AGENT_START was sent: a new agent connection, which learns our capabilities first. */
  connect(): void {
    if (this.connected) this.resetState('the guest agent restarted');
    this.connected = true;
    this.peerCaps = null;
    this.events.emit('connected', undefined);
    this.announce(true);
  }

  disconnect(reason: string): void {
    if (!this.connected) return;
    this.connected = false;
    this.resetState(reason);
    this.events.emit('disconnected', { reason });
  }

  /** The main channel closed: nothing more can be sent. */
  close(reason: string): void {
    this.disconnect(reason);
    this.transport.close(reason);
  }

  private resetState(reason: string): void {
    this.peerCaps = null;
    this.transport.dropUnsent(reason);
    this.transport.resetIncoming();
    this.clipboard.reset(reason);
    this.monitors.reset(reason);
    this.files.reset(reason);
  }

  private announce(request: boolean): void {
    this.send(AgentMsg.ANNOUNCE_CAPABILITIES, buildAnnounceCapabilities({ request, caps: CapSet.of(...CLIENT_AGENT_CAPS) })).catch(() => {});
  }

  takeCapabilities(body: Uint8Array): void {
    const { request, caps } = parseAnnounceCapabilities(body);
    const first = this.peerCaps === null;
    this.peerCaps = caps;
    this.log.info({ caps: caps.list() }, 'guest agent capabilities');
    if (request) this.announce(false);
    if (first) {
      this.sendMaxClipboard();
      this.monitors.sendDisplayConfigIfReady();
    }
    this.events.emit('caps', caps);
  }

  /** One AGENT_DATA body from the server. */
  receive(chunk: Uint8Array): void {
    if (!this.connected) {
      this.log.debug({ size: chunk.byteLength }, 'agent data while no agent is connected, dropped');
      return;
    }
    this.transport.receive(chunk);
  }

  private malformed(reason: string): void {
    this.malformedCount++;
    this.log.error(`malformed data from the guest agent: ${reason}`);
  }

  private dispatch(header: AgentHeader, body: Uint8Array): void {
    const handler = (agentHandlers as Record<number, AgentHandler | undefined>)[header.type];
    if (!handler) {
      this.malformed(`unknown agent message type ${header.type} (${header.size} bytes), ignored`);
      return;
    }
    try {
      handler.handle(this, body, header);
    } catch (e) {
      if (!(e instanceof SpiceError)) throw e;
      this.malformed(`${handler.name} was rejected: ${e.message}`);
    }
  }
}

function messageLimitFor(maxClipboard: number): number {
  if (maxClipboard < 0) return MAX_MESSAGE_LIMIT;
  return Math.min(MAX_MESSAGE_LIMIT, Math.max(MIN_MESSAGE_LIMIT, maxClipboard + CLIPBOARD_MESSAGE_OVERHEAD));
}
