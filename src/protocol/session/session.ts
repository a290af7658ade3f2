// A SPICE session: the main channel, then every channel the server lists, linked with the
// session id. Owns what channels share: the image cache and the serial bookkeeping behind
// WAIT_FOR_CHANNELS.
import { SpiceChannel, type ChannelHost } from '../channel/channel.ts';
import { DisplayChannel, type DisplayOptions, defaultDisplayOptions } from '../channels/display/display-channel.ts';
import { channelFactories, type ChannelContext } from './channel-factories.ts';
import { GenericChannel } from '../channels/generic-channel.ts';
import { MainChannel, type ChannelId, type MainState } from '../channels/main/main-channel.ts';
import { Emitter } from '../emitter.ts';
import { channelTypeName, ChannelType } from '../link/constants.ts';
import { LinkRefusedError, type TicketCrypto } from '../link/link.ts';
import type { Logger } from '../logger.ts';
import { isSpiceError, SpiceError } from '../wire/errors.ts';
import { MemoryBudget, type MemoryLimitError } from '../wire/memory-budget.ts';
import { channelLimitFor, describeNotLinked } from './channel-limits.ts';
import type { Connector } from '../wire/transport.ts';
import type { DisplaySink } from '../channels/display/display-sink.ts';
import type { PortContext } from '../channels/port/port-handler.ts';
import { noAudioCapabilities, type AudioCapabilities } from '../audio/audio-format.ts';

export interface SessionOptions {
  connector: Connector;
  crypto: TicketCrypto;
  logger: Logger;
  password?: string;
  /** "host:port" for messages. */
  where: string;
  /** Which listed channels to link; default every one spicedesk knows. */
  shouldLink?: (c: ChannelId) => boolean;
  display?: DisplayOptions;
  /**
   * Where display messages are decoded and drawn: a worker thread in the CLI, the browser through
   * the bridge, or a LocalDisplaySink in this thread. Required, so that a host that decodes
   * elsewhere does not load the decoders at all.
   */
  displaySink: DisplaySink;
  /**
   * The session's memory budget (give the same one to a LocalDisplaySink, so that its surfaces and
   * caches count too); default one of DEFAULT_MEMORY_LIMIT. A server that exceeds it ends the
   * session with a MemoryLimitError (a protocol error).
   */
  memoryBudget?: MemoryBudget;
  /**
   * What the host that plays the sound can honour (Opus decode/encode, volume, latency): the
   * playback and record channels announce only that. Default: nothing (RAW, no volume).
   */
  audio?: AudioCapabilities;
  /** What port handlers get from the host: the shared folder's WebDAV server (none: no folder shared). */
  ports?: PortContext;
  /** Where a line for the user goes (the channels a server listed and we did not link); default the logger. */
  warn?: (line: string) => void;
}

export type ChannelStatus = { state: 'linking' } | { state: 'linked' } | { state: 'not-linked'; why: string } | { state: 'failed'; error: Error };

export type SessionEvents = {
  'channel-linked': SpiceChannel;
  'display-added': DisplayChannel;
  /** A channel other than main failed; the session goes on. */
  'channel-error': { channel: ChannelId; error: Error };
  /** The main channel ended: the session is over. error unset = closed by us. */
  closed: { error?: Error };
};

const key = (type: number, id: number): string => `${type}:${id}`;

/**
 * A channel other than main that could not link, said as such: the server accepted the session,
 * so "refused the password" alone would mislead. The kind (so the exit code) stays the cause's.
 */
function linkFailure(channelName: string, e: unknown): Error {
  if (!isSpiceError(e)) return e instanceof Error ? e : new Error(String(e));
  const how = e instanceof LinkRefusedError ? 'was refused' : 'could not be linked';
  return new SpiceError(e.kind, `the ${channelName} channel ${how}: ${e.message}`, { cause: e });
}

/**
 * The channels the client leaves for the server to end once the main channel has gone: Xspice runs
 * them in its own event loop, where a connection the client ends can crash it. The client closes
 * every other channel itself (docs/protocol.md, "Ending a session").
 */
const LEFT_TO_SERVER: ReadonlySet<number> = new Set([ChannelType.INPUTS, ChannelType.PLAYBACK, ChannelType.RECORD]);
/** How long the other channels wait, once the main channel is closed, for the server to end them. */
const SERVER_END_WAIT_MS = 1000;

export class Session implements ChannelHost {
  readonly logger: Logger;
  readonly connector: Connector;
  readonly crypto: TicketCrypto;
  readonly password: string;
  readonly where: string;
  readonly events = new Emitter<SessionEvents>();
  /** Decoding and drawing for every display channel; owns the image cache and the GLZ window. */
  readonly displaySink: DisplaySink;
  readonly main: MainChannel;
  readonly channels = new Map<string, SpiceChannel>();
  readonly status = new Map<string, ChannelStatus>();
  readonly memoryBudget: MemoryBudget;
  /** What this session's sound host honours (SessionOptions.audio). */
  readonly audio: AudioCapabilities;
  /** What this session's port handlers get (SessionOptions.ports). */
  readonly ports: PortContext;
  private readonly options: SessionOptions;
  /** Set when the session ended on an error of its own making (the memory budget). */
  private failure: Error | null = null;
  private warnedNotLinked = false;
  private readonly processedSerials = new Map<string, bigint>();
  private readonly serialWaiters = new Map<string, { serial: bigint; resolve: () => void }[]>();
  private closedByUs = false;

  constructor(options: SessionOptions) {
    this.options = options;
    this.logger = options.logger;
    this.connector = options.connector;
    this.crypto = options.crypto;
    this.password = options.password ?? '';
    this.where = options.where;
    this.main = new MainChannel(this);
    this.displaySink = options.displaySink;
    this.audio = options.audio ?? noAudioCapabilities;
    this.ports = options.ports ?? {};
    // Video frames are shown by the session's mm clock, wherever the display pipeline runs.
    this.main.clock.onSet((mm) => this.displaySink.setMediaTime?.(mm));
    this.memoryBudget = options.memoryBudget ?? new MemoryBudget();
    this.memoryBudget.onExceeded((error) => this.fail(error));
  }

  /** Ends the session on `error` (a server over the memory budget): every channel closes, 'closed' carries it. */
  private fail(error: MemoryLimitError): void {
    if (this.failure || this.closedByUs) return;
    this.failure = error;
    this.logger.error({ err: error.message }, error.message);
    this.closedByUs = true;
    this.displaySink.close();
    void this.closeChannels();
  }

  /**
   * Links the main channel and waits for INIT and the first channel list; the listed channels
   * are then linked in the background (watch `status` and the events).
   */
  async connect(): Promise<MainState> {
    await this.main.connect(0);
    const listed = new Promise<ChannelId[]>((resolve, reject) => {
      const off = this.main.events.on('channels', (list) => {
        off();
        resolve(list);
      });
      this.main
        .run()
        .then(() => {
          // The server said DISCONNECTING and closed: it ended the session, as when it goes away.
          const error = this.failure ?? (this.closedByUs ? undefined : new SpiceError('unreachable', `the server at ${this.where} closed the session`));
          if (error) reject(error);
          this.finish(error);
        })
        .catch((e: Error) => {
          const error = this.failure ?? e;
          reject(error);
          this.finish(error);
        });
    });
    this.main.events.on('channels', (list) => this.linkChannels(list));
    // Display 0 exists whenever the server hints at a display; linking it as soon as the session id
    // is known, instead of after CHANNELS_LIST, saves a round trip to the first frame.
    this.main.events.on('init', (info) => {
      if (info.displayChannelsHint > 0) this.linkChannels([{ type: ChannelType.DISPLAY, id: 0 }]);
    });
    const list = await listed;
    this.linkChannels(list);
    return this.main.info;
  }

  private finish(error?: Error): void {
    void this.closeChannels();
    this.displaySink.close();
    this.events.emit('closed', { error });
  }

  /**
   * CHANNELS_LIST may come again later with new channels: link only the new ones, and of each type
   * no more than a real server offers (channel-limits.ts), so that a list of thousands of entries
   * cannot make the client open thousands of connections.
   */
  private linkChannels(list: ChannelId[]): void {
    const over = new Map<number, number>();
    for (const c of list) {
      const k = key(c.type, c.id);
      if (this.status.has(k)) continue;
      if (c.type === ChannelType.MAIN) continue;
      if (c.type === ChannelType.TUNNEL || !(c.type >= 1 && c.type <= 11)) {
        this.status.set(k, { state: 'not-linked', why: c.type === ChannelType.TUNNEL ? 'obsolete channel type' : 'unknown channel type' });
        this.logger.info({ channel: channelTypeName(c.type), id: c.id }, 'channel listed but not linked');
        continue;
      }
      if (this.options.shouldLink && !this.options.shouldLink(c)) {
        this.status.set(k, { state: 'not-linked', why: 'not needed for this command' });
        continue;
      }
      const limit = channelLimitFor(c.type);
      if (this.linkedOfType(c.type) >= limit) {
        this.status.set(k, { state: 'not-linked', why: `more than the ${limit} channel(s) of this type a server offers` });
        over.set(c.type, (over.get(c.type) ?? 0) + 1);
        continue;
      }
      this.status.set(k, { state: 'linking' });
      void this.linkOne(c);
    }
    if (over.size && !this.warnedNotLinked) {
      this.warnedNotLinked = true;
      const line = `${this.where} listed more channels than a SPICE server offers; not linking ${describeNotLinked(over)}`;
      if (this.options.warn) this.options.warn(line);
      else this.logger.warn({ notLinked: Object.fromEntries(over) }, line);
    }
  }

  /** Channels of this type linked or linking (the main channel counts as one of its type). */
  private linkedOfType(type: number): number {
    let n = type === ChannelType.MAIN ? 1 : 0;
    for (const ch of this.channels.values()) if (ch.type === type) n++;
    return n;
  }

  /** What the session gives each channel it creates (a channel linked again later gets the same). */
  channelContext(): ChannelContext {
    return { displaySink: this.displaySink, displayOptions: this.options.display ?? defaultDisplayOptions, audio: this.audio, ports: this.ports };
  }

  private async linkOne(c: ChannelId): Promise<void> {
    const k = key(c.type, c.id);
    const factory = channelFactories[c.type];
    const channel: SpiceChannel = factory
      ? factory(this, c.id, this.channelContext())
      : new GenericChannel(this, c.type, c.id);
    this.channels.set(k, channel);
    if (channel instanceof DisplayChannel) this.events.emit('display-added', channel);
    try {
      try {
        await channel.connect(this.main.info.sessionId);
      } catch (e) {
        throw linkFailure(channel.name, e);
      }
      this.status.set(k, { state: 'linked' });
      this.events.emit('channel-linked', channel);
      await channel.run();
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      if (this.closedByUs) return;
      this.status.set(k, { state: 'failed', error });
      this.logger.warn({ channel: channel.name, err: error.message }, `${channel.name} channel failed: ${error.message}`);
      this.events.emit('channel-error', { channel: c, error });
    }
  }

  display(id = 0): DisplayChannel | undefined {
    const ch = this.channels.get(key(ChannelType.DISPLAY, id));
    return ch instanceof DisplayChannel ? ch : undefined;
  }

  mediaTime(): number | null {
    return this.main.clock.now();
  }

  warn(line: string): void {
    if (this.options.warn) this.options.warn(line);
    else this.logger.warn(line);
  }

  waitForSerial(channelType: number, channelId: number, serial: bigint): Promise<void> {
    const k = key(channelType, channelId);
    if ((this.processedSerials.get(k) ?? 0n) >= serial) return Promise.resolve();
    if (!this.channels.has(k) && !(channelType === ChannelType.MAIN && channelId === 0)) {
      // Waiting for a channel we never linked would block forever.
      this.logger.warn({ channel: channelTypeName(channelType), id: channelId }, 'WAIT_FOR_CHANNELS names a channel that is not linked; not waiting');
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const list = this.serialWaiters.get(k) ?? [];
      list.push({ serial, resolve });
      this.serialWaiters.set(k, list);
    });
  }

  processed(channel: SpiceChannel, serial: bigint): void {
    const k = key(channel.type, channel.id);
    this.processedSerials.set(k, serial);
    const waiters = this.serialWaiters.get(k);
    if (!waiters) return;
    const still = waiters.filter((w) => {
      if (w.serial <= serial) {
        w.resolve();
        return false;
      }
      return true;
    });
    if (still.length) this.serialWaiters.set(k, still);
    else this.serialWaiters.delete(k);
  }

  /**
   * Ends the session; resolves once every connection is closed. A display channel may stay open a
   * moment longer (see SpiceChannel.close), and the main channel is closed after the others, so
   * that the server tears the session down channel by channel, as it does for spice-gtk. A host
   * that exits the process right after must wait for this.
   */
  async close(): Promise<void> {
    this.closedByUs = true;
    this.displaySink.close();
    await this.closeChannels();
  }

  /**
   * Every way a session ends comes here (docs/protocol.md, "Ending a session"). The client closes
   * the display, cursor and char-device channels (a display channel may stay open a moment longer,
   * see SpiceChannel.close) and then the main channel, at once as before; inputs, playback and
   * record are left for the server to end (at most SERVER_END_WAIT_MS after main, see
   * SpiceChannel.leaveToServer): spice-server tears them down itself once main has gone.
   */
  private closeChannels(): Promise<void> {
    this.closingChannels ??= (async () => {
      const channels = [...this.channels.values()];
      let markMainClosed = (): void => {};
      const mainClosed = new Promise<void>((resolve) => (markMainClosed = resolve));
      // Marked at once, so that none of them reports the server's end as a lost connection.
      const ended = channels.filter((ch) => LEFT_TO_SERVER.has(ch.type)).map((ch) => ch.leaveToServer(mainClosed, SERVER_END_WAIT_MS));
      await Promise.all(channels.filter((ch) => !LEFT_TO_SERVER.has(ch.type)).map((ch) => ch.close()));
      await this.main.close();
      markMainClosed();
      await Promise.all(ended);
    })();
    return this.closingChannels;
  }
  private closingChannels: Promise<void> | null = null;
}
