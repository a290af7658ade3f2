// What spicedesk does with each channel type today; `info` prints it and logs use it. Update a
// line when the issue that implements the channel lands.
import { ChannelType } from '../link/constants.ts';

export const channelSupport: Record<number, string> = {
  [ChannelType.MAIN]: 'session control: channel list, mouse modes, name, UUID, agent presence',
  [ChannelType.DISPLAY]: 'every image type decoded and drawn by the software compositor in a worker thread; video streams decoded (the codecs are on the video line) and shown at their mm time',
  [ChannelType.INPUTS]: 'keyboard (set-1 scan codes) and mouse in both modes, motion paced by the server\'s acks (spicedesk do)',
  [ChannelType.CURSOR]: 'cursor shapes of every type decoded, with the cache, moves and hiding; shown by the desktop client',
  [ChannelType.PLAYBACK]: 'guest sound: MODE, START, DATA (RAW S16LE, Opus where the host decodes it), STOP, VOLUME, MUTE, LATENCY; recorded to a WAV by spicedesk do listen',
  [ChannelType.RECORD]: 'microphone: START/STOP from the server, MODE + START_MARK + DATA (RAW, Opus where the host encodes it); a WAV sent by spicedesk do speak',
  [ChannelType.TUNNEL]: 'obsolete; never linked',
  [ChannelType.SMARTCARD]: 'linked; smartcard redirection not implemented yet',
  [ChannelType.USBREDIR]: 'usbredir stream (every packet type, LZ4 both ways), the guest\'s filter; devices attached through spicedesk\'s usb-host: the machine\'s USB devices (the usb package), HID devices the OS holds (node-hid), shared CD/ISO files',
  [ChannelType.PORT]: 'PORT_INIT, PORT_EVENT, data (LZ4 decoded); org.qemu.monitor.qmp.0 drives the VM power actions (spicedesk do power), org.qemu.console.serial.0 is spicedesk console, org.spicedesk.print.0 prints jobs from the guest (--print-to), other ports are left alone',
  [ChannelType.WEBDAV]: 'folder sharing: the guest\'s WebDAV connections served from --spice-shared-dir (not shared by default)',
};

export function describeChannelSupport(type: number): string {
  return channelSupport[type] ?? 'unknown channel type; not linked';
}
