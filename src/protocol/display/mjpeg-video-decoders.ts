// MJPEG video streams as a VideoDecoders set: each frame is a JPEG, decoded by the pipeline's
// ImageDecoder (its 'jpeg' job), in this thread or in the CLI's decode pool. The stream's decoder
// keeps the Huffman tables spice-server's built-in encoder sends with the first frame only
// (codecs/mjpeg.ts). Software decoding: the host's JPEG decoder runs on the CPU.
import { isStudioRangeJpeg, MjpegTables, stretchStudioRange } from '../codecs/mjpeg.ts';
import { VideoCodec } from '../channels/display/display-messages.ts';
import { SpiceError } from '../wire/errors.ts';
import type { ImageDecoder } from './image-decode-job.ts';
import type { DecodedFrame, StreamDecoder, VideoDecoders } from './video-decoder.ts';
import type { Pixels } from '../pixels/pixels.ts';

/** A picture already in CPU memory, decoded for this frame only: pixels() hands it over as it is. */
export function cpuFrame(pixels: Pixels): DecodedFrame {
  return {
    width: pixels.width,
    height: pixels.height,
    pixels: () => Promise.resolve(pixels),
    close: () => {},
  };
}

class MjpegStreamDecoder implements StreamDecoder {
  readonly acceleration = 'software' as const;
  private readonly tables = new MjpegTables();
  private readonly images: ImageDecoder;
  private closed = false;

  constructor(images: ImageDecoder) {
    this.images = images;
  }

  async decode(data: Uint8Array, width: number, height: number): Promise<DecodedFrame | null> {
    if (this.closed) throw new SpiceError('internal', 'the MJPEG stream decoder is closed');
    const jpeg = this.tables.complete(data);
    // A decoder in another thread takes the bytes' buffer: never the message's own (other
    // messages may share it), as decodeJobOf does for images.
    const bytes = this.images.transfersJobs && jpeg === data ? jpeg.slice() : jpeg;
    const studioRange = isStudioRangeJpeg(jpeg);
    const pixels = await this.images.decode({ kind: 'jpeg', width, height, data: bytes });
    if (studioRange) stretchStudioRange(pixels);
    return cpuFrame(pixels);
  }

  close(): void {
    this.closed = true;
  }
}

/**
 * MJPEG stream frames decoded as JPEG images by `images`, which must decode JPEG (the CLI's decode
 * pool; localImageDecoder with a JPEG decoder).
 */
export function mjpegVideoDecoders(images: ImageDecoder): VideoDecoders {
  return {
    supported: [{ codec: VideoCodec.MJPEG, acceleration: 'software' }],
    create: (codec) => {
      if (codec !== VideoCodec.MJPEG) return Promise.reject(new SpiceError('protocol', `the MJPEG decoders cannot decode codec ${codec}`));
      return Promise.resolve(new MjpegStreamDecoder(images));
    },
  };
}
