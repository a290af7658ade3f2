// A SPICE session: the main channel, then every channel the server lists, linked with the
// session id. Owns what channels share: the image cache and the serial bookkeeping behind
// WAIT_FOR_CHANNELS.
import { SpiceChannel, type ChannelHost } from '../channel/channel.ts';
import { DisplayChannel, type DisplayOptions, defaultDisplayOptions } from '../channels/display/display-channel.ts';
import { channelFactories } from './channel-factories.ts';
import { GenericChannel } from '../channels/generic-channel.ts';
import { MainChannel, type ChannelId, type MainState } from '../channels/main/main-channel.ts';
import { Emitter } from '../emitter.ts';
import { channelTypeName, ChannelType } from '../link/constants.ts';
import { LinkRefusedError, type TicketCrypto } from '../link/link.ts';
import type { Logger } from '../logger.ts';
import { isSpiceError, SpiceError } from '../wire/errors.ts';
import type { Connector } from '../wire/transport.ts';
import type { DisplaySink } from '../channels/display/display-sink.ts';

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
  private readonly options: SessionOptions;
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
          const error = this.closedByUs ? undefined : new SpiceError('unreachable', `the server at ${this.where} closed the session`);
          if (error) reject(error);
          this.finish(error);
        })
        .catch((error: Error) => {
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
    for (const ch of this.channels.values()) ch.close();
    this.displaySink.close();
    this.events.emit('closed', { error });
  }

  /** CHANNELS_LIST may come again later with new channels: link only the new ones. */
  private linkChannels(list: ChannelId[]): void {
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
      this.status.set(k, { state: 'linking' });
      void this.linkOne(c);
    }
  }

  private async linkOne(c: ChannelId): Promise<void> {
    const k = key(c.type, c.id);
    const factory = channelFactories[c.type];
    const channel: SpiceChannel = factory
      ? factory(this, c.id, { displaySink: this.displaySink, displayOptions: this.options.display ?? defaultDisplayOptions })
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

  close(): void {
    this.closedByUs = true;
    this.displaySink.close();
    for (const ch of this.channels.values()) ch.close();
    this.main.close();
  }
}
