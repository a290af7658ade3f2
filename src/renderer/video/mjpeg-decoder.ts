// MJPEG streams in the page: each frame a JPEG the browser decodes (createImageBitmap), kept as an
// ImageBitmap for the overlay. spice-server's own encoder writes the Huffman tables into a stream's
// first frame only; Chromium decodes the later frames without them (libjpeg-turbo falls back to the
// standard tables, which are the ones the server uses: multimedia.md §1.5), but a browser need not,
// so the first frame's tables are put back (MjpegTables: a copy of ~2 kB per frame).
import { VideoCodec } from '../../protocol/channels/display/display-messages.ts';
import { MjpegTables } from '../../protocol/codecs/mjpeg.ts';
import type { DecodedFrame, StreamDecoder } from '../../protocol/display/video-decoder.ts';
import { SpiceError } from '../../protocol/wire/errors.ts';
import { BitmapPicture, VideoFramePicture } from './pictures.ts';

export class MjpegStreamDecoder implements StreamDecoder {
  readonly acceleration = 'software';
  private readonly tables = new MjpegTables();
  private closed = false;
  /** Decoded by ImageDecoder into VideoFrames (for the page's `<video>` elements), not into ImageBitmaps. */
  private readonly videoFrames: boolean;
  private timestamp = 0;

  constructor(o: { videoFrames?: boolean } = {}) {
    this.videoFrames = o.videoFrames === true;
  }

  async decode(data: Uint8Array, width: number, height: number): Promise<DecodedFrame | null> {
    if (this.closed) return null;
    const jpeg = this.tables.complete(data);
    if (this.videoFrames) return this.decodeFrame(jpeg, data.byteLength, width, height);
    let bitmap: ImageBitmap;
    try {
      bitmap = await createImageBitmap(new Blob([jpeg as Uint8Array<ArrayBuffer>], { type: 'image/jpeg' }), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
    } catch (e) {
      throw new SpiceError('protocol', `an MJPEG stream frame of ${data.byteLength} bytes does not decode: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (!this.keep(bitmap, () => bitmap.close(), width, height)) return null;
    return new BitmapPicture(bitmap, VideoCodec.MJPEG);
  }

  private async decodeFrame(jpeg: Uint8Array, size: number, width: number, height: number): Promise<DecodedFrame | null> {
    let frame: VideoFrame;
    const decoder = new ImageDecoder({ data: jpeg as Uint8Array<ArrayBuffer>, type: 'image/jpeg', colorSpaceConversion: 'none' });
    try {
      frame = (await decoder.decode()).image;
    } catch (e) {
      throw new SpiceError('protocol', `an MJPEG stream frame of ${size} bytes does not decode: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      decoder.close();
    }
    // Each its own timestamp (µs): the page's presentation log keys pictures by it. (The track
    // still sees ImageDecoder's 0: the page finds such pictures by their hand-over time.)
    const stamped = new VideoFrame(frame, { timestamp: (this.timestamp += 40_000) });
    frame.close();
    if (!this.keep({ width: stamped.displayWidth, height: stamped.displayHeight }, () => stamped.close(), width, height)) return null;
    return new VideoFramePicture(stamped, VideoCodec.MJPEG, 'software');
  }

  /**
   * Whether a decoded picture is kept: not once the decoder closed meanwhile (it is released), and
   * never at another size than the stream's (released, and refused with an error).
   */
  private keep(picture: { width: number; height: number }, release: () => void, width: number, height: number): boolean {
    if (this.closed) {
      release();
      return false;
    }
    if (picture.width !== width || picture.height !== height) {
      const got = `${picture.width}x${picture.height}`;
      release();
      throw new SpiceError('protocol', `an MJPEG stream frame is ${got}, not the ${width}x${height} the stream said`);
    }
    return true;
  }

  close(): void {
    this.closed = true;
  }
}
