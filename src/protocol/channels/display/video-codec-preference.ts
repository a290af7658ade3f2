// The video codec preference: the order of codecs the client would like the server to stream
// with, sent as PREFERRED_VIDEO_CODEC_TYPE when the server takes one (display cap 12). The user
// names codecs (--video-codecs, the profile's video-codecs); the list sent holds only those the
// host decodes, in the user's order, else the host's own, best first (hardware before software).
// spice-server sorts its own codec list by it and restarts its streams with the first codec it can
// encode that the client announced.
import type { VideoCodecSupport } from './display-sink.ts';
import { videoCodecName } from '../../profile/video-codecs.ts';

export { parseVideoCodecList, readVideoCodecList, videoCodecName, VIDEO_CODEC_NAMES } from '../../profile/video-codecs.ts';

export interface VideoCodecPreference {
  /** What is sent, most wanted first. */
  order: number[];
  /** Codecs the user listed that this host does not decode (left out, with a warning). */
  undecodable: number[];
}

/**
 * The preference to send: `wanted` (the user's order) without what the host does not decode; the
 * host's own order when the user gave none, or none the host decodes.
 */
export function videoCodecPreference(wanted: readonly number[] | null, decodable: readonly VideoCodecSupport[]): VideoCodecPreference {
  const host = decodable.map((s) => s.codec);
  if (!wanted) return { order: host, undecodable: [] };
  const order = wanted.filter((c) => host.includes(c));
  const undecodable = wanted.filter((c) => !host.includes(c));
  return { order: order.length > 0 ? order : host, undecodable };
}

/** The warning for codecs the user listed that this host does not decode; null when there are none. */
export function undecodableWarning(p: VideoCodecPreference, decodable: readonly VideoCodecSupport[]): string | null {
  if (p.undecodable.length === 0) return null;
  const names = p.undecodable.map(videoCodecName).join(', ');
  const host = decodable.map((s) => videoCodecName(s.codec)).join(', ') || 'none';
  const sent = p.order.map(videoCodecName).join(', ') || 'nothing';
  return `this client does not decode ${names} (it decodes ${host}); asking the server for ${sent}`;
}
