// How many channels of each type a session links at most: what a real server offers, so that one
// CHANNELS_LIST of thousands of entries (each channel allowed a message of up to 128 MiB) cannot
// make the client open thousands of connections. Counts from what QEMU and spice-server can offer.
import { MAX_HEADS } from '../channels/main/agent/monitors.ts';
import { channelTypeName, ChannelType } from '../link/constants.ts';

const limits = new Map<number, number>([
  // One main channel per session.
  [ChannelType.MAIN, 1],
  // One display channel per QXL device (or per head of a virtio-gpu/multi-head device); the client
  // lays out at most MAX_HEADS heads.
  [ChannelType.DISPLAY, MAX_HEADS],
  // spice-server has one inputs, playback and record channel per session.
  [ChannelType.INPUTS, 1],
  // One cursor channel per display channel (QXL devices each have their own).
  [ChannelType.CURSOR, MAX_HEADS],
  [ChannelType.PLAYBACK, 1],
  [ChannelType.RECORD, 1],
  // QEMU's ccid-card-passthru: one smart card reader.
  [ChannelType.SMARTCARD, 1],
  // One per spicevmc usbredir chardev: virt-manager adds two, heavy setups a handful.
  [ChannelType.USBREDIR, 16],
  // One per spiceport chardev (QMP, the streaming agent, serial consoles): a handful.
  [ChannelType.PORT, 16],
  // QEMU's org.spice-space.webdav.0 folder sharing: one.
  [ChannelType.WEBDAV, 1],
]);

/** The most channels of this type one session links (0 for a type that is never linked). */
export function channelLimitFor(type: number): number {
  return limits.get(type) ?? 0;
}

/** "2544 display channels (at most 16), 1 inputs channel (at most 1)" for a warning. */
export function describeNotLinked(over: ReadonlyMap<number, number>): string {
  return [...over]
    .map(([type, n]) => `${n} ${channelTypeName(type)} channel${n === 1 ? '' : 's'} (at most ${channelLimitFor(type)} linked)`)
    .join(', ');
}
