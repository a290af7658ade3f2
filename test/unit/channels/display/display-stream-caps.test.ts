// The display channel announces the video stream caps from what its sink's decoder says it decodes:
// SIZED_STREAM, STREAM_REPORT, MULTI_CODEC and CODEC_MJPEG with a JPEG decoder (the CLI); with
// none, MULTI_CODEC alone, so that the server sends video as ordinary draws instead of streams.
import { describe, expect, it } from 'vitest';
import { DisplayCap, DisplayChannel } from '../../../../src/protocol/channels/display/display-channel.ts';
import type { CapSet } from '../../../../src/protocol/link/caps.ts';
import { LocalDisplaySink } from '../../../../src/protocol/display/local-display-sink.ts';
import { localImageDecoder } from '../../../../src/protocol/display/run-decode-job.ts';
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
  it('announces MJPEG streams where the decoder decodes JPEG', () => {
    expect(capsWith(new LocalDisplaySink({ logger: silentLogger, decoder: localImageDecoder({ jpeg: nodeJpegDecoder }) }))).toEqual(streamCaps);
  });

  it('announces no codec (MULTI_CODEC alone) without a JPEG decoder, or without a decoder', () => {
    expect(capsWith(new LocalDisplaySink({ logger: silentLogger, decoder: localImageDecoder() }))).toEqual([DisplayCap.MULTI_CODEC]);
    expect(capsWith(new LocalDisplaySink({ logger: silentLogger }))).toEqual([DisplayCap.MULTI_CODEC]);
  });
});
