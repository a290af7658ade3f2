// Which class handles each channel type. A type without an entry is linked as a GenericChannel
// (listed by `info`, its messages ignored) until its issue adds one here.
import type { ChannelHost, SpiceChannel } from '../channel/channel.ts';
import { CursorChannel } from '../channels/cursor/cursor-channel.ts';
import { DisplayChannel, type DisplayOptions } from '../channels/display/display-channel.ts';
import type { DisplaySink } from '../channels/display/display-sink.ts';
import { InputsChannel } from '../channels/inputs/inputs-channel.ts';
import { PortChannel } from '../channels/port/port-channel.ts';
import type { PortContext } from '../channels/port/port-handler.ts';
import { PlaybackChannel } from '../channels/playback/playback-channel.ts';
import { RecordChannel } from '../channels/record/record-channel.ts';
import type { AudioCapabilities } from '../audio/audio-format.ts';
import { UsbredirChannel } from '../channels/usbredir/usbredir-channel.ts';
import { ChannelType } from '../link/constants.ts';

/** What the session gives the channels it creates, beyond the ChannelHost. */
export interface ChannelContext {
  displaySink: DisplaySink;
  displayOptions: DisplayOptions;
  /** What the host that plays the sound honours: decides the playback and record caps announced. */
  audio: AudioCapabilities;
  /** What the port handlers get from the host (the WebDAV server of the shared folder). */
  ports: PortContext;
}

export type ChannelFactory = (host: ChannelHost, id: number, ctx: ChannelContext) => SpiceChannel;

export const channelFactories: Partial<Record<number, ChannelFactory>> = {
  [ChannelType.DISPLAY]: (host, id, ctx) => new DisplayChannel(host, id, ctx.displaySink, ctx.displayOptions),
  [ChannelType.INPUTS]: (host, id) => new InputsChannel(host, id),
  [ChannelType.CURSOR]: (host, id) => new CursorChannel(host, id),
  [ChannelType.PLAYBACK]: (host, id, ctx) => new PlaybackChannel(host, id, ctx.audio),
  [ChannelType.RECORD]: (host, id, ctx) => new RecordChannel(host, id, ctx.audio),
  [ChannelType.PORT]: (host, id, ctx) => new PortChannel(host, ChannelType.PORT, id, ctx.ports),
  [ChannelType.WEBDAV]: (host, id, ctx) => new PortChannel(host, ChannelType.WEBDAV, id, ctx.ports),
  [ChannelType.USBREDIR]: (host, id) => new UsbredirChannel(host, id),
};
