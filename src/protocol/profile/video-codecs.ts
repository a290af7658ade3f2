// Video codec names as users write them (--video-codecs, a .vv file's or a spice:// URI's
// video-codecs), spelt as spice-server's own video-codecs option spells them: mjpeg, vp8, h264, vp9,
// h265. The display channel sends the list as PREFERRED_VIDEO_CODEC_TYPE
// (channels/display/video-codec-preference.ts).
import { SpiceError } from '../wire/errors.ts';

/** The names users give codecs, as spice-server's video-codecs option spells them. */
export const VIDEO_CODEC_NAMES: ReadonlyMap<string, number> = new Map([
  // spice.proto video_codec_type (VideoCodec in channels/display/display-messages.ts).
  ['mjpeg', 1],
  ['vp8', 2],
  ['h264', 3],
  ['vp9', 4],
  ['h265', 5],
]);

/** A codec's user name (mjpeg, vp8, …), or "codec N" for a value no name has. */
export function videoCodecName(codec: number): string {
  for (const [name, value] of VIDEO_CODEC_NAMES) if (value === codec) return name;
  return `codec ${codec}`;
}

/**
 * A list of codec names separated by commas (or semicolons, as .vv lists), most wanted first, such
 * as "h264,vp9,vp8,mjpeg"; or what is wrong with it, to follow the name of where it came from. A
 * name given twice counts once, where it first is.
 */
export function readVideoCodecList(text: string): number[] | { problem: string } {
  const names = text.split(/[,;]/).map((n) => n.trim().toLowerCase());
  const known = [...VIDEO_CODEC_NAMES.keys()].join(', ');
  if (names.every((n) => n === '')) return { problem: `needs a list of video codecs such as h264,vp9,vp8,mjpeg (of ${known})` };
  const codecs: number[] = [];
  for (const name of names) {
    if (name === '') return { problem: `has an empty codec name (write a list such as vp8,mjpeg)` };
    const codec = VIDEO_CODEC_NAMES.get(name);
    if (codec === undefined) {
      const shown = name.length > 20 || !/^[\x20-\x7e]*$/.test(name) ? 'a name' : `"${name}"`;
      return { problem: `names an unknown video codec ${shown} (known: ${known})` };
    }
    if (!codecs.includes(codec)) codecs.push(codec);
  }
  return codecs;
}

/** readVideoCodecList, with a usage error naming `what` (such as --video-codecs) for a wrong list. */
export function parseVideoCodecList(text: string, what: string): number[] {
  const list = readVideoCodecList(text);
  if ('problem' in list) throw new SpiceError('usage', `${what} ${list.problem}`);
  return list;
}
