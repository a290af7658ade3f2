// `spicedesk info`: what the server offers and what spicedesk does with it. Links every listed
// channel, so it doubles as a check that each channel type links cleanly.
import { mouseModeNames } from '../../protocol/channels/main/main-messages.ts';
import { clientCommonCaps } from '../../protocol/link/link.ts';
import { ChannelType, channelTypeName } from '../../protocol/link/constants.ts';
import type { Logger } from '../../protocol/logger.ts';
import { describeChannelSupport } from '../../protocol/session/channel-support.ts';
import type { Session } from '../../protocol/session/session.ts';
import { SpiceError } from '../../protocol/wire/errors.ts';
import { openSession } from '../connect/open-session.ts';
import { DisplayChannel } from '../../protocol/channels/display/display-channel.ts';
import type { VideoAcceleration } from '../../protocol/channels/display/display-sink.ts';
import { videoCodecName } from '../../protocol/profile/video-codecs.ts';
import type { CaFile } from '../transport/tls-ca-file.ts';
import { audioDataModeNames } from '../../protocol/audio/audio-format.ts';
import { PlaybackChannel } from '../../protocol/channels/playback/playback-channel.ts';
import { PlaybackCap } from '../../protocol/channels/playback/playback-messages.ts';
import { RecordChannel } from '../../protocol/channels/record/record-channel.ts';
import { RecordCap } from '../../protocol/channels/record/record-messages.ts';
import type { CapSet } from '../../protocol/link/caps.ts';
import { PortChannel } from '../../protocol/channels/port/port-channel.ts';
import { QmpPort } from '../../protocol/channels/port/qmp-port.ts';
import { withTimeout } from '../node/with-timeout.ts';
import { UsbredirChannel } from '../../protocol/channels/usbredir/usbredir-channel.ts';

export interface InfoOptions {
  target: string;
  json: boolean;
  timeoutMs: number;
  logger: Logger;
  warn: (line: string) => void;
  out: (text: string) => void;
  caFile?: CaFile;
  /** --memory-limit in bytes (undefined: the default). */
  memoryLimit?: number;
  /** --video-codecs. */
  videoCodecs?: number[];
}

export interface ChannelReport {
  type: string;
  typeNumber: number;
  id: number;
  status: 'linked' | 'failed' | 'not-linked';
  detail?: string;
  support: string;
  serverCommonCaps?: number[];
  serverChannelCaps?: number[];
  miniHeader?: boolean;
}

export interface InfoReport {
  server: string;
  name?: string;
  uuid?: string;
  sessionId: number;
  mouseModes: { supported: string[]; current: string[] };
  agentConnected: boolean;
  displayChannelsHint: number;
  channels: ChannelReport[];
  clientCommonCaps: number[];
  images: { decoders: string[]; notYet: string[]; requested: string };
  video: VideoReport;
  audio: AudioReport;
  /** The port and webdav channels by name, in channel order. */
  ports: PortReport[];
  /** The VM's state from the QMP port (null: no QMP port, or it did not answer in time). */
  vm: { status: string; running: boolean; qemu: string | null } | null;
  /** The guest's USB redirection slots (usbredir channels), in channel id order. */
  usbSlots: UsbSlotReport[];
}

export interface PortReport {
  channel: string;
  /** From PORT_INIT (null: it did not come). */
  name: string | null;
  /** Whether the guest side has it open. */
  opened: boolean;
  /** What spicedesk does with it. */
  use: string;
}

/** A sound channel's caps each side announced (by name), and the data mode. */
export interface SoundChannelReport {
  /** What this client announced. */
  client: string[];
  /** What the server announced. */
  server: string[];
  /**
   * Playback: the mode the server's MODE chose (null: no MODE came within a second of the link).
   * Record: the mode this client sends in when the server asks for the microphone.
   */
  mode: string | null;
}

/** The playback and record channels, null when not linked. */
export interface AudioReport {
  playback: SoundChannelReport | null;
  record: SoundChannelReport | null;
}

export interface UsbSlotReport {
  id: number;
  /** The guest's usbredir hello version text, null when it never said hello. */
  guest: string | null;
  /** The guest's usbredir capability bits. */
  caps: number[];
  /** The guest's filter (filter_filter) as sent, null when it sent none. */
  filter: string | null;
  /** Why the filter does not parse, if it does not. */
  filterError?: string;
  /** The device on the slot ("free" in info: it attaches none), or "failed" when the slot's channel ended with an error. */
  device: string;
  /** Why the slot's channel ended, when it did. */
  failure?: string;
}

export interface VideoReport {
  /** The stream codecs this client decodes, best first, and how. */
  decoded: { codec: string; acceleration: VideoAcceleration }[];
  /** Whether the server takes a codec preference (display cap 12); null when no display channel linked. */
  serverTakesPreference: boolean | null;
  /** The codec order sent (PREFERRED_VIDEO_CODEC_TYPE), or null when none was. */
  asked: string[] | null;
}

export async function runInfo(o: InfoOptions): Promise<InfoReport> {
  const { session, where, deadline } = await openSession({ target: o.target, timeoutMs: o.timeoutMs, logger: o.logger, warn: o.warn, caFile: o.caFile, memoryLimit: o.memoryLimit, videoCodecs: o.videoCodecs });
  try {
    await deadline.race(settled(session), () => new SpiceError('timeout', `not every channel of ${where} finished linking within ${Math.round(o.timeoutMs / 1000)} s`));
    // NAME and UUID follow INIT closely; give them a moment if they are not in yet.
    if (!session.main.info.name) await new Promise((r) => setTimeout(r, 50));
    await playbackModeIn(session, PLAYBACK_MODE_WAIT_MS);
    await portsIn(session, PORT_WAIT_MS);
    await usbSlotsHeard(session, USB_HELLO_WAIT_MS);
    const report = buildReport(session, where);
    o.out(o.json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report));
    return report;
  } finally {
    // Awaited: the process may exit next, and a display connection must not end too early.
    await session.close();
  }
}

/** The server sends the playback MODE right after the link: a moment for it, if it is not in yet. */
const PLAYBACK_MODE_WAIT_MS = 1000;

function playbackModeIn(session: Session, ms: number): Promise<void> {
  const playback = [...session.channels.values()].find((ch): ch is PlaybackChannel => ch instanceof PlaybackChannel && ch.state === 'ready');
  if (!playback || playback.mode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    const off = playback.events.on('mode', done);
    function done(): void {
      clearTimeout(timer);
      off();
      resolve();
    }
  });
}

/** PORT_INIT follows the link at once; QMP's greeting, handshake and query-status take a few round trips. */
const PORT_WAIT_MS = 2000;

const portChannels = (session: Session): PortChannel[] => [...session.channels.values()].filter((ch): ch is PortChannel => ch instanceof PortChannel && ch.link !== null);

/** Waits (at most `ms`) until every linked port is named and an open QMP port has told the VM's state. */
async function portsIn(session: Session, ms: number): Promise<void> {
  const done = () =>
    portChannels(session).every((ch) => ch.state !== 'ready' || (ch.portName !== null && !(ch.handler instanceof QmpPort && ch.opened && ch.handler.state === null)));
  const end = Date.now() + ms;
  while (!done() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
}

function portReports(session: Session): PortReport[] {
  return portChannels(session).map((ch) => ({
    channel: ch.name,
    name: ch.portName,
    opened: ch.opened,
    use: ch.handler ? ch.handler.describe() : ch.portName === null ? 'no PORT_INIT came' : 'not used by spicedesk (left alone)',
  }));
}

function vmReport(session: Session): InfoReport['vm'] {
  const qmp = portChannels(session).map((ch) => ch.handler).find((h): h is QmpPort => h instanceof QmpPort && h.state !== null);
  return qmp?.state ? { ...qmp.state, qemu: qmp.qemuVersion } : null;
}

function formatPorts(r: InfoReport): string[] {
  if (!r.ports.length) return ['ports:        none offered'];
  const lines = r.ports.map((p, i) => `${i === 0 ? 'ports:        ' : '              '}${p.name ?? '(unnamed)'} on ${p.channel}, ${p.opened ? 'open' : 'closed'} in the guest: ${p.use}`);
  if (r.vm) lines.push(`vm:           ${r.vm.status}${r.vm.qemu ? ` (QEMU ${r.vm.qemu})` : ''}; spicedesk do TARGET power pause|resume|reset|powerdown|off`);
  return lines;
}

/**
 * Resolves once every linked usbredir channel has the guest's hello, plus a moment for its filter:
 * QEMU sends filter_filter when our hello reaches it, which may be after its own hello reached us.
 */
async function usbSlotsHeard(session: Session, ms: number): Promise<void> {
  const slots = [...session.channels.values()].filter((ch): ch is UsbredirChannel => ch instanceof UsbredirChannel && ch.state === 'ready');
  if (slots.length === 0) return;
  // A slot whose guest never says hello is reported as such ("no hello from the guest"), not a failed info.
  await withTimeout(Promise.all(slots.map((s) => s.whenHello())), ms, () => new Error('no hello')).catch(() => undefined);
  await new Promise((r) => setTimeout(r, USB_FILTER_GRACE_MS));
}

/** How long info waits for the usbredir slots' hellos (QEMU answers within a round trip). */
const USB_HELLO_WAIT_MS = 2000;

/** How long info waits for a guest's filter_filter after the hellos (QEMU sends it within a round trip). */
const USB_FILTER_GRACE_MS = 200;

function usbSlots(session: Session): UsbSlotReport[] {
  const slots = [...session.channels.values()].filter((ch): ch is UsbredirChannel => ch instanceof UsbredirChannel);
  return slots.sort((a, b) => a.id - b.id).map((s) => {
    const st = session.status.get(`${ChannelType.USBREDIR}:${s.id}`);
    return {
      id: s.id,
      guest: s.stream.peerVersion,
      caps: s.stream.peerCaps === null ? [] : Array.from({ length: 8 }, (_, bit) => bit).filter((bit) => (s.stream.peerCaps! & (1 << bit)) !== 0),
      filter: s.guestFilter?.text ?? null,
      ...(s.guestFilter?.error ? { filterError: s.guestFilter.error } : {}),
      device: st?.state === 'failed' ? 'failed' : s.device ? 'in use' : 'free',
      ...(st?.state === 'failed' ? { failure: st.error.message } : {}),
    };
  });
}

function formatUsbSlots(slots: UsbSlotReport[]): string[] {
  if (slots.length === 0) return ['usb slots:    none (the VM has no usbredir channels)'];
  return slots.map((s, i) => {
    const head = i === 0 ? 'usb slots:   ' : '             ';
    const guest = s.guest === null ? 'no hello from the guest' : `${s.guest} caps [${s.caps.join(',')}]`;
    const filter = s.filter === null ? 'no filter' : `filter "${printableFilter(s.filter)}"${s.filterError ? ` (does not parse: ${s.filterError})` : ''}`;
    const state = s.failure ? `failed (${s.failure})` : s.device;
    return `${head} usbredir:${s.id} ${state}; ${guest}; ${filter}`;
  });
}

/** The guest's filter text with anything unprintable shown as an escape, for the terminal. */
function printableFilter(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Resolves when no channel is still linking. */
function settled(session: Session): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if ([...session.status.values()].every((s) => s.state !== 'linking')) {
        offs.forEach((f) => f());
        resolve();
      }
    };
    const offs = [
      session.events.on('channel-linked', check),
      session.events.on('channel-error', check),
      session.events.on('closed', ({ error }) => reject(error ?? new SpiceError('protocol', 'the session closed while linking channels'))),
    ];
    check();
  });
}

function buildReport(session: Session, where: string): InfoReport {
  const m = session.main.info;
  const channels: ChannelReport[] = [
    {
      type: 'main',
      typeNumber: 1,
      id: 0,
      status: 'linked',
      support: describeChannelSupport(1),
      serverCommonCaps: session.main.link?.serverCommonCaps.list(),
      serverChannelCaps: session.main.link?.serverChannelCaps.list(),
      miniHeader: session.main.link?.miniHeader,
    },
  ];
  for (const c of m.channels) {
    if (c.type === 1) continue;
    const st = session.status.get(`${c.type}:${c.id}`);
    const ch = session.channels.get(`${c.type}:${c.id}`);
    channels.push({
      type: channelTypeName(c.type),
      typeNumber: c.type,
      id: c.id,
      status: st?.state === 'linked' ? 'linked' : st?.state === 'failed' ? 'failed' : 'not-linked',
      detail: st?.state === 'failed' ? st.error.message : st?.state === 'not-linked' ? st.why : undefined,
      support: describeChannelSupport(c.type),
      serverCommonCaps: ch?.link?.serverCommonCaps.list(),
      serverChannelCaps: ch?.link?.serverChannelCaps.list(),
      miniHeader: ch?.link?.miniHeader,
    });
  }
  return {
    server: where,
    name: m.name,
    uuid: m.uuid,
    sessionId: m.sessionId,
    mouseModes: { supported: mouseModeNames(m.supportedMouseModes), current: mouseModeNames(m.currentMouseMode) },
    agentConnected: m.agentConnected,
    displayChannelsHint: m.displayChannelsHint,
    channels,
    clientCommonCaps: clientCommonCaps().list(),
    images: {
      decoders: ['BITMAP', 'QUIC', 'LZ_RGB', 'LZ_PLT', 'GLZ_RGB', 'ZLIB_GLZ_RGB', 'LZ4', 'JPEG', 'JPEG_ALPHA'],
      notYet: [],
      requested: "the server's own choice (no PREFERRED_COMPRESSION)",
    },
    video: videoReport(session),
    audio: audioReport(session),
    ports: portReports(session),
    vm: vmReport(session),
    usbSlots: usbSlots(session),
  };
}

const capNames = (caps: CapSet | undefined, table: Record<string, number>): string[] =>
  (caps?.list() ?? []).map((cap) => Object.keys(table).find((name) => table[name] === cap) ?? String(cap));

function audioReport(session: Session): AudioReport {
  const linked = [...session.channels.values()].filter((ch) => ch.link !== null);
  const playback = linked.find((ch): ch is PlaybackChannel => ch instanceof PlaybackChannel);
  const record = linked.find((ch): ch is RecordChannel => ch instanceof RecordChannel);
  return {
    playback: playback
      ? {
          client: capNames(playback.announcedCaps(), PlaybackCap),
          server: capNames(playback.link?.serverChannelCaps, PlaybackCap),
          mode: playback.mode === null ? null : (audioDataModeNames[playback.mode] ?? String(playback.mode)),
        }
      : null,
    record: record
      ? {
          client: capNames(record.announcedCaps(), RecordCap),
          server: capNames(record.link?.serverChannelCaps, RecordCap),
          // At an Opus rate (every server records at 48 kHz); the START decides for good.
          mode: record.serverTakesOpus && record.audio.opusEncode ? 'OPUS' : 'RAW',
        }
      : null,
  };
}

function formatAudio(a: AudioReport): string[] {
  const caps = (list: string[]) => list.join(', ') || 'none';
  const line = (name: string, c: SoundChannelReport | null, mode: string) =>
    c ? `${name}: ${mode}; caps announced: ${caps(c.client)}; server's: ${caps(c.server)}` : `${name}: not linked`;
  return [
    `sound:        ${line('playback', a.playback, a.playback?.mode ? `mode ${a.playback.mode}` : 'no MODE yet')}`,
    `              ${line('record', a.record, `sends ${a.record?.mode ?? ''}`)}`,
  ];
}

function videoReport(session: Session): VideoReport {
  const display = [...session.channels.values()].find((ch) => ch instanceof DisplayChannel && ch.link !== null) as DisplayChannel | undefined;
  return {
    decoded: (session.displaySink.videoCodecs?.() ?? []).map((s) => ({ codec: videoCodecName(s.codec), acceleration: s.acceleration })),
    serverTakesPreference: display ? display.takesVideoCodecPreference : null,
    asked: display?.videoCodecPreference?.map(videoCodecName) ?? null,
  };
}

function formatVideo(v: VideoReport): string[] {
  const decoded = v.decoded.map((d) => `${d.codec} (${d.acceleration})`).join(', ') || 'none (the server sends video as ordinary draws)';
  const takes =
    v.serverTakesPreference === null
      ? 'unknown (no display channel linked)'
      : v.serverTakesPreference
        ? `yes (display cap 12)${v.asked ? `; asked for: ${v.asked.join(', ')}` : ''}`
        : 'no (its own codec order applies)';
  return [`video:        decoded: ${decoded}`, `              server takes a codec preference: ${takes}`];
}

function formatReport(r: InfoReport): string {
  const lines = [
    `server:       ${r.server}`,
    `name:         ${r.name ?? '(not sent)'}`,
    `uuid:         ${r.uuid ?? '(not sent)'}`,
    `mouse modes:  ${r.mouseModes.supported.join(', ') || 'none'} (current: ${r.mouseModes.current.join(', ') || 'none'})`,
    `agent:        ${r.agentConnected ? 'connected' : 'not connected'}`,
    `images:       decoded: ${r.images.decoders.join(', ')}${r.images.notYet.length ? `; not yet: ${r.images.notYet.join(', ')}` : ''}`,
    `              asked for: ${r.images.requested}`,
    ...formatVideo(r.video),
    ...formatAudio(r.audio),
    ...formatPorts(r),
    ...formatUsbSlots(r.usbSlots),
    'channels:',
  ];
  for (const c of r.channels) {
    const name = c.id === 0 ? c.type : `${c.type}:${c.id}`;
    lines.push(`  ${name.padEnd(12)} ${c.status.padEnd(10)} ${c.status === 'failed' ? c.detail : c.support}`);
    if (c.serverChannelCaps) lines.push(`  ${''.padEnd(12)} ${''.padEnd(10)} server caps: common [${c.serverCommonCaps?.join(',')}] channel [${c.serverChannelCaps.join(',')}]${c.miniHeader ? ', mini header' : ''}`);
  }
  return lines.join('\n') + '\n';
}
