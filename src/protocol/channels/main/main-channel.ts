// The main channel: session id, channel list, mouse modes, multimedia clock, name/UUID, and the
// guest agent, whose stream (AGENT_DATA and its tokens) is handed to ./agent/agent.ts.
import { CapSet } from '../../link/caps.ts';
import { Emitter } from '../../emitter.ts';
import { SpiceChannel, type ChannelHost, type HandlerTable, type MessageHandler } from '../../channel/channel.ts';
import { WireReader } from '../../wire/reader.ts';
import { Agent } from './agent/agent.ts';
import { MediaClock } from './media-clock.ts';
import { AGENT_START_UNLIMITED, buildAgentStart, buildMouseModeRequest, MainCap, MainMsg, MainMsgc, MouseMode, type MouseModeValue } from './main-messages.ts';

export interface ChannelId {
  type: number;
  id: number;
}

export interface MainState {
  sessionId: number;
  displayChannelsHint: number;
  supportedMouseModes: number;
  currentMouseMode: number;
  agentConnected: boolean;
  agentTokens: number;
  multiMediaTime: number;
  ramHint: number;
  name?: string;
  uuid?: string;
  channels: ChannelId[];
}

export type MainEvents = {
  init: MainState;
  channels: ChannelId[];
  'mouse-mode': { supported: number; current: number };
  agent: { connected: boolean };
  name: string;
  uuid: string;
};

type H = MessageHandler<MainChannel>;

function reader(ch: MainChannel, body: Uint8Array, type: number, name: string): WireReader {
  return new WireReader(body, 0, { channel: ch.name, messageType: type, messageName: name });
}

const migrationNotSupported = (name: string): H => ({
  name,
  handle: (ch) => ch.warnMigration(name),
});

const mainHandlers: HandlerTable<MainChannel, typeof MainMsg> = {
  [MainMsg.MIGRATE_BEGIN]: migrationNotSupported('MIGRATE_BEGIN'),
  [MainMsg.MIGRATE_CANCEL]: migrationNotSupported('MIGRATE_CANCEL'),
  [MainMsg.INIT]: {
    name: 'INIT',
    handle(ch, body) {
      const r = reader(ch, body, MainMsg.INIT, 'INIT');
      const s = ch.info;
      s.sessionId = r.u32();
      s.displayChannelsHint = r.u32();
      s.supportedMouseModes = r.u32();
      s.currentMouseMode = r.u32();
      s.agentConnected = r.u32() !== 0;
      s.agentTokens = r.u32();
      s.multiMediaTime = r.u32();
      ch.clock.set(s.multiMediaTime);
      s.ramHint = r.u32();
      ch.agent.transport.setTokens(s.agentTokens);
      if (s.agentConnected) ch.startAgent();
      ch.followMouseMode();
      ch.send(MainMsgc.ATTACH_CHANNELS, new Uint8Array(0));
      ch.events.emit('init', s);
    },
  },
  [MainMsg.CHANNELS_LIST]: {
    name: 'CHANNELS_LIST',
    handle(ch, body) {
      const r = reader(ch, body, MainMsg.CHANNELS_LIST, 'CHANNELS_LIST');
      const n = r.count(r.u32(), 2, 'channel list');
      const list: ChannelId[] = [];
      for (let i = 0; i < n; i++) list.push({ type: r.u8(), id: r.u8() });
      ch.info.channels = list;
      ch.events.emit('channels', list);
    },
  },
  [MainMsg.MOUSE_MODE]: {
    name: 'MOUSE_MODE',
    handle(ch, body) {
      const r = reader(ch, body, MainMsg.MOUSE_MODE, 'MOUSE_MODE');
      ch.info.supportedMouseModes = r.u16();
      ch.info.currentMouseMode = r.u16();
      ch.followMouseMode();
      ch.events.emit('mouse-mode', { supported: ch.info.supportedMouseModes, current: ch.info.currentMouseMode });
    },
  },
  [MainMsg.MULTI_MEDIA_TIME]: {
    name: 'MULTI_MEDIA_TIME',
    handle(ch, body) {
      ch.info.multiMediaTime = reader(ch, body, MainMsg.MULTI_MEDIA_TIME, 'MULTI_MEDIA_TIME').u32();
      ch.clock.set(ch.info.multiMediaTime);
    },
  },
  [MainMsg.AGENT_CONNECTED]: {
    name: 'AGENT_CONNECTED',
    handle(ch) {
      ch.info.agentConnected = true;
      ch.startAgent();
      ch.events.emit('agent', { connected: true });
    },
  },
  [MainMsg.AGENT_DISCONNECTED]: {
    name: 'AGENT_DISCONNECTED',
    handle(ch, body) {
      const error = reader(ch, body, MainMsg.AGENT_DISCONNECTED, 'AGENT_DISCONNECTED').u32();
      ch.info.agentConnected = false;
      ch.log.info({ error }, 'guest agent disconnected');
      ch.agent.disconnect(`the guest agent disconnected (error ${error})`);
      ch.followMouseMode();
      ch.events.emit('agent', { connected: false });
    },
  },
  [MainMsg.AGENT_DATA]: {
    name: 'AGENT_DATA',
    handle: (ch, body) => ch.agent.receive(body),
  },
  [MainMsg.AGENT_TOKEN]: {
    name: 'AGENT_TOKEN',
    handle(ch, body) {
      const tokens = reader(ch, body, MainMsg.AGENT_TOKEN, 'AGENT_TOKEN').u32();
      ch.info.agentTokens += tokens;
      ch.agent.transport.addTokens(tokens);
    },
  },
  [MainMsg.MIGRATE_SWITCH_HOST]: migrationNotSupported('MIGRATE_SWITCH_HOST'),
  [MainMsg.MIGRATE_END]: migrationNotSupported('MIGRATE_END'),
  [MainMsg.NAME]: {
    name: 'NAME',
    handle(ch, body) {
      const r = reader(ch, body, MainMsg.NAME, 'NAME');
      const len = r.u32();
      const name = r.printableText(Math.min(len, r.remaining), 'name');
      ch.info.name = name;
      ch.events.emit('name', name);
    },
  },
  [MainMsg.UUID]: {
    name: 'UUID',
    handle(ch, body) {
      const bytes = reader(ch, body, MainMsg.UUID, 'UUID').take(16, 'uuid');
      const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
      const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
      ch.info.uuid = uuid;
      ch.events.emit('uuid', uuid);
    },
  },
  [MainMsg.AGENT_CONNECTED_TOKENS]: {
    name: 'AGENT_CONNECTED_TOKENS',
    handle(ch, body) {
      ch.info.agentTokens = reader(ch, body, MainMsg.AGENT_CONNECTED_TOKENS, 'AGENT_CONNECTED_TOKENS').u32();
      ch.agent.transport.setTokens(ch.info.agentTokens);
      ch.info.agentConnected = true;
      ch.startAgent();
      ch.events.emit('agent', { connected: true });
    },
  },
  [MainMsg.MIGRATE_BEGIN_SEAMLESS]: migrationNotSupported('MIGRATE_BEGIN_SEAMLESS'),
  [MainMsg.MIGRATE_DST_SEAMLESS_ACK]: migrationNotSupported('MIGRATE_DST_SEAMLESS_ACK'),
  [MainMsg.MIGRATE_DST_SEAMLESS_NACK]: migrationNotSupported('MIGRATE_DST_SEAMLESS_NACK'),
};

export class MainChannel extends SpiceChannel {
  readonly events = new Emitter<MainEvents>();
  readonly info: MainState = {
    sessionId: 0,
    displayChannelsHint: 0,
    supportedMouseModes: 0,
    currentMouseMode: 0,
    agentConnected: false,
    agentTokens: 0,
    multiMediaTime: 0,
    ramHint: 0,
    channels: [],
  };

  /** The multimedia clock the server sets (INIT, MULTI_MEDIA_TIME); video frames are timed by it. */
  readonly clock = new MediaClock();
  /** The guest agent: clipboard, monitor layout, file transfer. */
  readonly agent: Agent;
  /** The mouse mode last asked for, so that each change is asked for once. */
  private requestedMouseMode = 0;
  /** What preferMouseMode set; null: client mode while the guest agent is attached (the CLI's sessions). */
  private preferredMouseMode: MouseModeValue | null = null;

  constructor(host: ChannelHost) {
    super(host, 1, 0);
    this.agent = new Agent({ sendAgentData: (chunk) => this.send(MainMsgc.AGENT_DATA, chunk), log: this.log.child({ part: 'agent' }) });
  }

  override async run(): Promise<void> {
    try {
      await super.run();
    } finally {
      this.agent.close(`the connection to ${this.host.where} ended`);
    }
  }

  protected override channelCaps(): CapSet {
    // Migration caps are left out: spicedesk does not follow migrations yet.
    return CapSet.of(MainCap.NAME_AND_UUID, MainCap.AGENT_CONNECTED_TOKENS);
  }

  protected override handlerFor(type: number): MessageHandler<this> | undefined {
    return (mainHandlers as Record<number, MessageHandler<MainChannel>>)[type] as MessageHandler<this> | undefined;
  }

  startAgent(): void {
    this.send(MainMsgc.AGENT_START, buildAgentStart(AGENT_START_UNLIMITED));
    this.agent.connect();
    this.followMouseMode();
  }

  /**
   * The mouse mode to ask for whenever the server offers it: the page and the window prefer
   * client mode (absolute positions, no pointer grab, as spice-gtk takes) unless the user asked
   * for server mode (relative motion). Without a preference (the CLI's sessions) client mode is
   * asked for only while the guest agent is attached, so a tablet-only server such as Xspice keeps
   * sending the pointer's moves. This is the one place that asks for a mode, so that nothing
   * undoes another's request (the agent attaching once brought client mode back over a
   * server-mode request).
   */
  preferMouseMode(mode: MouseModeValue): void {
    if (mode === this.preferredMouseMode) return;
    this.preferredMouseMode = mode;
    this.requestedMouseMode = 0;
    this.followMouseMode();
  }

  /**
   * Asks for the preferred mode when it is offered and not current. When neither it nor the
   * current mode is offered (the agent left while in client mode), asks for the other: the server
   * falls back on its own too. Each change is asked for once.
   */
  followMouseMode(): void {
    const { supportedMouseModes: supported, currentMouseMode: current, agentConnected } = this.info;
    if (supported === 0) return;
    const preferred = this.preferredMouseMode ?? (agentConnected ? MouseMode.CLIENT : 0);
    const other = current === MouseMode.CLIENT ? MouseMode.SERVER : MouseMode.CLIENT;
    const wanted = supported & preferred ? preferred : supported & current ? 0 : supported & other ? other : 0;
    if (current === this.requestedMouseMode) this.requestedMouseMode = 0;
    if (wanted === 0 || wanted === current || wanted === this.requestedMouseMode) return;
    this.requestedMouseMode = wanted;
    this.log.info({ mode: wanted === MouseMode.CLIENT ? 'client' : 'server' }, 'asking for a mouse mode');
    this.send(MainMsgc.MOUSE_MODE_REQUEST, buildMouseModeRequest(wanted));
  }

  warnMigration(name: string): void {
    this.log.warn(`${name}: the server is migrating this session; spicedesk does not follow migrations yet`);
  }
}
