// The video codec preference: codec names read from the command line, .vv files and spice:// URIs
// with clear errors; the order sent as PREFERRED_VIDEO_CODEC_TYPE (the user's, without what this
// host does not decode and with a warning naming it, else the host's own) once the display channel
// has its first complete frame, and only when the server takes it (display cap 12); and again
// mid-session.
import { describe, expect, it } from 'vitest';
import { DisplayClientMsg, DisplayMsg, VideoCodec } from '../../../../src/protocol/channels/display/display-messages.ts';
import { DisplayCap } from '../../../../src/protocol/channels/display/display-channel.ts';
import { videoCodecPreference, undecodableWarning } from '../../../../src/protocol/channels/display/video-codec-preference.ts';
import { parseVideoCodecList, readVideoCodecList } from '../../../../src/protocol/profile/video-codecs.ts';
import { parseSpiceUri } from '../../../../src/protocol/profile/uri.ts';
import { parseVvFile } from '../../../../src/protocol/profile/vv.ts';
import { LocalDisplaySink } from '../../../../src/protocol/display/local-display-sink.ts';
import type { VideoCodecSupport, VideoDecoders } from '../../../../src/protocol/display/video-decoder.ts';
import { silentLogger } from '../../../../src/protocol/logger.ts';
import { MainMsg } from '../../../../src/protocol/channels/main/main-messages.ts';
import { Session } from '../../../../src/protocol/session/session.ts';
import { WireWriter } from '../../../../src/protocol/wire/writer.ts';
import { defaultDisplayOptions } from '../../../../src/protocol/channels/display/display-channel.ts';
import { nodeTicketCrypto } from '../../../../src/main/node/ticket-crypto.ts';
import { fakeLinkServer } from '../../../helpers/fake-link-server.ts';
import type { MemoryTransport } from '../../../helpers/memory-transport.ts';
import { concat } from '../../../helpers/memory-transport.ts';
import { miniMessage, parseClientMiniMessages } from '../../../helpers/server-messages.ts';
import { waitUntil } from '../../../helpers/wait.ts';

const { MJPEG, VP8, H264, VP9 } = VideoCodec;
const host: VideoCodecSupport[] = [
  { codec: VP9, acceleration: 'hardware' },
  { codec: MJPEG, acceleration: 'software' },
  { codec: VP8, acceleration: 'software' },
];

describe('video codec names', () => {
  it('reads a list in order, names once, commas or semicolons, any case', () => {
    expect(parseVideoCodecList('h264,vp9,vp8,mjpeg', '--video-codecs')).toEqual([H264, VP9, VP8, MJPEG]);
    expect(parseVideoCodecList(' VP8 ; mjpeg,vp8 ', '--video-codecs')).toEqual([VP8, MJPEG]);
    expect(parseVideoCodecList('h265', '--video-codecs')).toEqual([VideoCodec.H265]);
  });

  it('says what is wrong with a list', () => {
    expect(() => parseVideoCodecList('vp8,av1', '--video-codecs')).toThrow('--video-codecs names an unknown video codec "av1" (known: mjpeg, vp8, h264, vp9, h265)');
    expect(() => parseVideoCodecList('', '--video-codecs')).toThrow(/--video-codecs needs a list of video codecs such as h264,vp9,vp8,mjpeg/);
    expect(() => parseVideoCodecList('vp8,,mjpeg', 'x')).toThrow(/x has an empty codec name/);
    expect(readVideoCodecList('x'.repeat(100))).toEqual({ problem: expect.stringMatching(/^names an unknown video codec a name/) });
  });

  it('reads video-codecs from a spice:// URI query and a .vv file, with errors naming the key', () => {
    expect(parseSpiceUri('spice://h?port=5900&video-codecs=vp9,mjpeg').videoCodecs).toEqual([VP9, MJPEG]);
    expect(parseSpiceUri('spice+tls://h:5901?video-codecs=vp8').videoCodecs).toEqual([VP8]);
    expect(() => parseSpiceUri('spice://h:5900?video-codecs=theora')).toThrow(/the query key "video-codecs" names an unknown video codec "theora"/);
    const vv = (line: string) => `[virt-viewer]\ntype=spice\nhost=h\nport=5900\n${line}\n`;
    expect(parseVvFile(vv('video-codecs=h264;vp8')).videoCodecs).toEqual([H264, VP8]);
    expect(() => parseVvFile(vv('video-codecs=vp8,divx'))).toThrow(/key "video-codecs" in \[virt-viewer\] names an unknown video codec "divx" .*\(line 5\)/);
  });
});

describe('the codec order sent', () => {
  it("is the user's, without what the host does not decode, else the host's own", () => {
    expect(videoCodecPreference(null, host)).toEqual({ order: [VP9, MJPEG, VP8], undecodable: [] });
    expect(videoCodecPreference([VP8, MJPEG], host)).toEqual({ order: [VP8, MJPEG], undecodable: [] });
    const p = videoCodecPreference([H264, VP8], host);
    expect(p).toEqual({ order: [VP8], undecodable: [H264] });
    expect(undecodableWarning(p, host)).toBe('this client does not decode h264 (it decodes vp9, mjpeg, vp8); asking the server for vp8');
    // None the host decodes: its own order, with the warning.
    expect(videoCodecPreference([H264], host)).toEqual({ order: [VP9, MJPEG, VP8], undecodable: [H264] });
    expect(undecodableWarning(videoCodecPreference([VP8], host), host)).toBeNull();
  });
});

/** A session whose display channel links to a fake server with these display caps. */
async function sessionWith(o: { displayCaps: number[]; wanted?: number[] | null; decodes?: VideoCodecSupport[] }) {
  const transports = new Map<number, MemoryTransport>();
  const tickets = new Map<number, { password?: string }>();
  const warnings: string[] = [];
  const video: VideoDecoders = { supported: o.decodes ?? host, create: () => Promise.reject(new Error('not in this test')) };
  const session = new Session({
    connector: async ({ channelType }) => {
      const caps = channelType === 2 ? [o.displayCaps.reduce((m, c) => m | (1 << c), 0)] : [];
      const { transport, received } = fakeLinkServer({ channelCaps: caps });
      transports.set(channelType, transport);
      tickets.set(channelType, received);
      return transport;
    },
    crypto: nodeTicketCrypto,
    logger: silentLogger,
    warn: (line) => warnings.push(line),
    displaySink: new LocalDisplaySink({ logger: silentLogger, video }),
    display: { ...defaultDisplayOptions, videoCodecs: o.wanted ?? null },
    where: 'memory',
  });
  const connecting = session.connect();
  await waitUntil('the main channel linking', () => tickets.get(1)?.password !== undefined, 5000);
  transports.get(1)!.feed(miniMessage(MainMsg.INIT, new WireWriter().u32(1).u32(1).u32(1).u32(1).u32(0).u32(10).u32(0).u32(0).finish()));
  transports.get(1)!.feed(miniMessage(MainMsg.CHANNELS_LIST, new WireWriter().u32(1).u8(2).u8(0).finish()));
  await connecting;
  await waitUntil('the display channel linked', () => session.status.get('2:0')?.state === 'linked', 5000);
  // After the link message, the auth mechanism and the ticket: the display channel's messages.
  const written = transports.get(2)!.written;
  const ticketAt = written.findIndex((w) => w.byteLength === 128);
  const sent = () => parseClientMiniMessages(concat(written.slice(ticketAt + 1)));
  const preferences = () => sent().flatMap((m) => (m.type === DisplayClientMsg.PREFERRED_VIDEO_CODEC_TYPE ? [[...m.body]] : []));
  const display = session.display(0)!;
  // Nothing before the first complete frame (spice-server is still setting the client up).
  expect(preferences()).toEqual([]);
  transports.get(2)!.feed(miniMessage(DisplayMsg.MARK));
  await waitUntil('the first MARK applied', () => display.marked, 5000);
  return { session, warnings, preferences, display };
}

describe('PREFERRED_VIDEO_CODEC_TYPE', () => {
  it("is sent with the first complete frame when the server takes it, in the host's order by default", async () => {
    const s = await sessionWith({ displayCaps: [DisplayCap.PREF_VIDEO_CODEC_TYPE] });
    expect(s.preferences()).toEqual([[3, VP9, MJPEG, VP8]]);
    expect(s.display.videoCodecPreference).toEqual([VP9, MJPEG, VP8]);
    expect(s.warnings).toEqual([]);
    // Mid-session (do video-codecs): sent again.
    expect(s.display.preferVideoCodecs([VP8, MJPEG]).order).toEqual([VP8, MJPEG]);
    await waitUntil('the second preference sent', () => s.preferences().length === 2, 5000);
    expect(s.preferences()[1]).toEqual([2, VP8, MJPEG]);
    s.session.close();
  });

  it("is the user's order without codecs the host does not decode, with a warning naming them", async () => {
    const s = await sessionWith({ displayCaps: [DisplayCap.PREF_VIDEO_CODEC_TYPE], wanted: [H264, MJPEG] });
    expect(s.preferences()).toEqual([[1, MJPEG]]);
    expect(s.warnings).toEqual(['this client does not decode h264 (it decodes vp9, mjpeg, vp8); asking the server for mjpeg']);
    s.session.close();
  });

  it('is not sent to a server without the cap, nor by a host that decodes no codec; asking then is an error', async () => {
    const s = await sessionWith({ displayCaps: [DisplayCap.STREAM_REPORT] });
    expect(s.preferences()).toEqual([]);
    expect(() => s.display.preferVideoCodecs([VP8])).toThrow(/the server's display channel 0 takes no video codec preference \(it lacks the PREF_VIDEO_CODEC_TYPE cap\)/);
    s.session.close();
    const none = await sessionWith({ displayCaps: [DisplayCap.PREF_VIDEO_CODEC_TYPE], decodes: [] });
    expect(none.preferences()).toEqual([]);
    expect(() => none.display.preferVideoCodecs([VP8])).toThrow(/this client decodes no video codec/);
    none.session.close();
  });
});
