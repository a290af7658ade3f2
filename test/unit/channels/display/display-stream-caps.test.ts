// The display channel announces the video stream caps from what its sink's video decoders decode:
// SIZED_STREAM, STREAM_REPORT, MULTI_CODEC and CODEC_MJPEG with MJPEG decoders (the CLI); with
// none, MULTI_CODEC alone, so that the server sends video as ordinary draws instead of streams.
import { describe, expect, it } from 'vitest';
import { DisplayCap, DisplayChannel } from '../../../../src/protocol/channels/display/display-channel.ts';
import type { CapSet } from '../../../../src/protocol/link/caps.ts';
import { LocalDisplaySink } from '../../../../src/protocol/display/local-display-sink.ts';
import { localImageDecoder } from '../../../../src/protocol/display/run-decode-job.ts';
import { mjpegVideoDecoders } from '../../../../src/protocol/display/mjpeg-video-decoders.ts';
import { combineVideoDecoders } from '../../../../src/protocol/display/video-decoder-sets.ts';
import type { VideoDecoders } from '../../../../src/protocol/display/video-decoder.ts';
import { VideoCodec } from '../../../../src/protocol/channels/display/display-messages.ts';
import { silentLogger } from '../../../../src/protocol/logger.ts';
import type { Transport } from '../../../../src/protocol/wire/transport.ts';
import { nodeJpegDecoder } from '../../../../src/main/node/jpeg-node.ts';
import { memoryChannelHost } from '../../../helpers/channel-host.ts';

const streamCaps: number[] = [DisplayCap.SIZED_STREAM, DisplayCap.STREAM_REPORT, DisplayCap.MULTI_CODEC, DisplayCap.CODEC_MJPEG];

function capsWith(sink: LocalDisplaySink): number[] {
  const channel = new DisplayChannel(memoryChannelHost({} as Transport), 0, sink);
  const caps = (channel as unknown as { channelCaps(): CapSet }).channelCaps().list();
  sink.close();
  return caps.filter((c) => streamCaps.includes(c) || otherCodecCaps.includes(c));
}

const otherCodecCaps: number[] = [DisplayCap.CODEC_VP8, DisplayCap.CODEC_H264, DisplayCap.CODEC_VP9, DisplayCap.CODEC_H265];

describe('display stream caps', () => {
  it('announces MJPEG streams where the sink has MJPEG decoders', () => {
    const decoder = localImageDecoder({ jpeg: nodeJpegDecoder });
    expect(capsWith(new LocalDisplaySink({ logger: silentLogger, decoder, video: mjpegVideoDecoders(decoder) }))).toEqual(streamCaps);
  });

  it('announces no codec (MULTI_CODEC alone) without video decoders', () => {
    expect(capsWith(new LocalDisplaySink({ logger: silentLogger, decoder: localImageDecoder({ jpeg: nodeJpegDecoder }) }))).toEqual([DisplayCap.MULTI_CODEC]);
    expect(capsWith(new LocalDisplaySink({ logger: silentLogger }))).toEqual([DisplayCap.MULTI_CODEC]);
  });

  it('announces every codec of combined decoder sets, each decoded by the first set that has it, hardware first', async () => {
    const made: string[] = [];
    const set = (name: string, codecs: number[], acceleration: 'hardware' | 'software'): VideoDecoders => ({
      supported: codecs.map((codec) => ({ codec, acceleration })),
      create: (codec) => {
        made.push(`${name}:${codec}`);
        return Promise.reject(new Error('not in this test'));
      },
    });
    const decoder = localImageDecoder({ jpeg: nodeJpegDecoder });
    const video = combineVideoDecoders(mjpegVideoDecoders(decoder), set('soft', [VideoCodec.VP8, VideoCodec.MJPEG], 'software'), set('gpu', [VideoCodec.H264, VideoCodec.VP8], 'hardware'));
    expect(video.supported).toEqual([
      { codec: VideoCodec.H264, acceleration: 'hardware' },
      { codec: VideoCodec.MJPEG, acceleration: 'software' },
      { codec: VideoCodec.VP8, acceleration: 'software' },
    ]);
    await expect(video.create(VideoCodec.VP8, 8, 8)).rejects.toThrow();
    await expect(video.create(VideoCodec.H264, 8, 8)).rejects.toThrow();
    await expect(video.create(VideoCodec.VP9, 8, 8)).rejects.toThrow(/no video codec is decoded here \(asked for VP9\)/);
    expect(made).toEqual(['soft:2', 'gpu:3']);
    const sink = new LocalDisplaySink({ logger: silentLogger, decoder, video });
    expect(sink.videoCodecs()).toBe(video.supported);
    expect(capsWith(sink)).toEqual([...streamCaps, DisplayCap.CODEC_VP8, DisplayCap.CODEC_H264]);
  });
});
