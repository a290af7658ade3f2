// The page's video codecs and streams through BridgeHost: the codecs the page's HELLO lists are what
// its session's display channel announces in its link caps (the HELLO comes before the session, so
// before the display links); the host's display sink hands the page's STREAM_ERRORs to the display
// channel as pipeline events and sends the multimedia time to the page.
import { describe, expect, it } from 'vitest';
import type { HostMessage } from '../../../../src/protocol/bridge/bridge-messages.ts';
import { BRIDGE_VERSION } from '../../../../src/protocol/bridge/kinds.ts';
import type { PipelineEvent } from '../../../../src/protocol/channels/display/display-sink.ts';
import { silentLogger } from '../../../../src/protocol/logger.ts';
import type { ConnectionProfile } from '../../../../src/protocol/profile/index.ts';
import { BridgeDisplaySink } from '../../../../src/main/host/bridge-display-sink.ts';
import { BridgeHost, type GatewayTarget } from '../../../../src/main/host/bridge-host.ts';
import { fakeLinkServer, fakeMainWithDisplay } from '../../../helpers/fake-link-server.ts';
import { FakePage } from '../../../helpers/fake-page.ts';
import type { MemoryTransport } from '../../../helpers/memory-transport.ts';
import { miniMessage, parseClientMiniMessages } from '../../../helpers/server-messages.ts';
import { box } from '../../channels/display/body-builder.ts';
import { streamCreate } from '../../channels/display/stream-bodies.ts';
import { DisplayClientMsg, DisplayMsg } from '../../../../src/protocol/channels/display/display-messages.ts';
import { drainQueuedWork, waitFor, waitUntil } from '../../../helpers/wait.ts';

const DISPLAY = 2;
/** Display caps (docs/protocol.md): MULTI_CODEC 8, MJPEG 9, VP8 10, H264 11, VP9 13, H265 14. */
const Cap = { SIZED_STREAM: 0, STREAM_REPORT: 4, MULTI_CODEC: 8, MJPEG: 9, VP8: 10, H264: 11, VP9: 13, H265: 14 } as const;

/** A server in memory with display 0, recording the display's link message. */
function server(): { connector: GatewayTarget['plan']['connector']; displayLink: () => Uint8Array | undefined; display: () => MemoryTransport | undefined } {
  let displayLink: { linkMess?: Uint8Array } | undefined;
  let display: MemoryTransport | undefined;
  const connector = async ({ channelType }: { channelType: number }) => {
    if (channelType !== DISPLAY) return fakeMainWithDisplay();
    const { transport, received } = fakeLinkServer();
    displayLink = received;
    display = transport;
    return transport;
  };
  return { connector: connector as GatewayTarget['plan']['connector'], displayLink: () => displayLink?.linkMess, display: () => display };
}

/** The channel caps of a SpiceLinkMess (16-byte header, then connection id, type, id, cap counts, caps offset). */
function channelCapsOf(link: Uint8Array): number {
  const v = new DataView(link.buffer, link.byteOffset, link.byteLength);
  const body = 16;
  const common = v.getUint32(body + 6, true);
  const channel = v.getUint32(body + 10, true);
  const offset = v.getUint32(body + 14, true);
  return channel > 0 ? v.getUint32(body + offset + common * 4, true) : 0;
}

function host(s: ReturnType<typeof server>, hello: Extract<Parameters<FakePage['say']>[0], { kind: 'hello' }>): { page: FakePage; bridge: BridgeHost } {
  const target: GatewayTarget = { label: 'memory', profile: {} as ConnectionProfile, plan: { where: 'memory:1', connector: s.connector } };
  const page = new FakePage();
  const bridge = new BridgeHost(page, { targets: [target], logger: silentLogger, linkTimeoutMs: 2000, helloTimeoutMs: 5000 }, 1);
  page.say(hello);
  return { page, bridge };
}

describe('BridgeHost and the page video codecs', () => {
  it('the display channel announces the codecs of the page HELLO, and stream reports with them', async () => {
    const s = server();
    const { bridge } = host(s, { kind: 'hello', version: BRIDGE_VERSION, target: 0, videoCodecs: [{ codec: 3, acceleration: 'software' }, { codec: 4, acceleration: 'software' }, { codec: 1, acceleration: 'software' }] });
    const link = await waitFor('the display link', () => s.displayLink(), 3000);
    const caps = channelCapsOf(link);
    for (const bit of [Cap.MULTI_CODEC, Cap.SIZED_STREAM, Cap.STREAM_REPORT, Cap.H264, Cap.VP9, Cap.MJPEG]) expect(caps & (1 << bit), `cap ${bit}`).not.toBe(0);
    for (const bit of [Cap.VP8, Cap.H265]) expect(caps & (1 << bit), `cap ${bit}`).toBe(0);
    bridge.shutdown();
  });

  it("the page's STREAM_ERROR for a live stream makes the display channel send the cannot-decode report", async () => {
    const s = server();
    const { page, bridge } = host(s, { kind: 'hello', version: BRIDGE_VERSION, target: 0, videoCodecs: [{ codec: 2, acceleration: 'software' }] });
    await waitUntil('connected', () => page.statuses().includes('connected'), 3000);
    const display = await waitFor('the display linked', () => s.display(), 3000);
    const reports = (): number[][] =>
      display.written.flatMap((w) => parseClientMiniMessages(w)).filter((m) => m.type === DisplayClientMsg.STREAM_REPORT).map((m) => Array.from(new Uint32Array(m.body.slice().buffer)));
    display.feed(miniMessage(DisplayMsg.STREAM_CREATE, streamCreate({ id: 49, codec: 2, width: 320, height: 240, dest: box(0, 0, 320, 240) })));
    await waitUntil('the stream created on the page side', () => page.received.some((m) => m.kind === 'display' && m.type === DisplayMsg.STREAM_CREATE), 3000);
    // A stream the channel does not have: no report.
    page.say({ kind: 'stream-error', channelId: 0, streamId: 48, message: 'not a stream' });
    page.say({ kind: 'stream-error', channelId: 0, streamId: 49, message: 'VideoDecoder failed' });
    const report = await waitFor('a STREAM_REPORT', () => reports()[0], 3000);
    // stream 49, unique id 0, times 0, 0 frames, 0xffffffff drops: "cannot decode".
    expect(report.slice(0, 6)).toEqual([49, 0, 0, 0, 0, 0xffffffff]);
    expect(reports()).toHaveLength(1);
    bridge.shutdown();
  });

  it('a page that lists no codec gets video as draws: MULTI_CODEC and no codec cap', async () => {
    const s = server();
    const { bridge } = host(s, { kind: 'hello', version: BRIDGE_VERSION, target: 0 });
    const caps = channelCapsOf(await waitFor('the display link', () => s.displayLink(), 3000));
    expect(caps & (1 << Cap.MULTI_CODEC)).not.toBe(0);
    for (const bit of [Cap.MJPEG, Cap.VP8, Cap.H264, Cap.VP9, Cap.H265, Cap.STREAM_REPORT]) expect(caps & (1 << bit), `cap ${bit}`).toBe(0);
    bridge.shutdown();
  });
});

describe('BridgeDisplaySink', () => {
  it('hands STREAM_ERROR to the channel listeners as a stream-error event, and the media time to the page', () => {
    const times: number[] = [];
    const sink = new BridgeDisplaySink(() => {}, { videoCodecs: [{ codec: 2, acceleration: 'hardware' }], sendMediaTime: (t) => times.push(t) });
    const events: PipelineEvent[] = [];
    sink.listen(1, (e) => events.push(e));
    sink.streamError(1, 49, 'cannot decode');
    sink.streamError(0, 3, 'another channel');
    expect(events).toEqual([{ type: 'stream-error', channelId: 1, streamId: 49, message: 'cannot decode' }]);
    expect(sink.videoCodecs()).toEqual([{ codec: 2, acceleration: 'hardware' }]);
    sink.setMediaTime(1234);
    sink.close();
    sink.setMediaTime(5678);
    sink.streamError(1, 49, 'after close');
    expect(times).toEqual([1234]);
    expect(events).toHaveLength(1);
  });

  it('a page STREAM_ERROR before any session, or for a stream of no channel, leaves the page connected', async () => {
    const s = server();
    const { page, bridge } = host(s, { kind: 'hello', version: BRIDGE_VERSION, target: 0, videoCodecs: [{ codec: 1, acceleration: 'software' }] });
    page.say({ kind: 'stream-error', channelId: 7, streamId: 3, message: 'no such channel' });
    await waitUntil('connected', () => page.statuses().includes('connected'), 3000);
    page.say({ kind: 'stream-error', channelId: 0, streamId: 12, message: 'a stream the channel does not have' });
    await drainQueuedWork();
    expect(page.open).toBe(true);
    expect(page.received.filter((m: HostMessage) => m.kind === 'status').map((m) => m.kind === 'status' && m.status.state)).not.toContain('error');
    bridge.shutdown();
  });
});
