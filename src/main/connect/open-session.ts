// What every command does first: TARGET -> profile -> password -> a linked session, bounded by
// a deadline that says which stage it was stuck in.
import type { ChannelId } from '../../protocol/channels/main/main-channel.ts';
import type { Logger } from '../../protocol/logger.ts';
import { displayConfigFromProfile } from '../../protocol/channels/main/agent/monitors.ts';
import type { ConnectionProfile } from '../../protocol/profile/index.ts';
import { Session } from '../../protocol/session/session.ts';
import { defaultDisplayOptions, type DisplayOptions } from '../../protocol/channels/display/display-channel.ts';
import { SpiceError } from '../../protocol/wire/errors.ts';
import { MemoryBudget } from '../../protocol/wire/memory-budget.ts';
import { planConnection, type ConnectPlan } from './connector.ts';
import type { CaFile } from '../transport/tls-ca-file.ts';
import { resolvePassword, resolveTarget } from './target.ts';
import { applyDeleteThisFile } from './vv-lifecycle.ts';
import { LocalDisplaySink } from '../../protocol/display/local-display-sink.ts';
import { mjpegVideoDecoders } from '../../protocol/display/mjpeg-video-decoders.ts';
import { combineVideoDecoders } from '../../protocol/display/video-decoder-sets.ts';
import { DecodePool } from '../display-worker/decode-pool.ts';
import { InThreadDecoder } from '../display-worker/in-thread-decoder.ts';
import type { ImageDecoder } from '../../protocol/display/image-decode-job.ts';
import { cliVideoDecoders } from '../video/cli-video-decoders.ts';
import { cliAudioCapabilities } from '../audio/cli-audio-capabilities.ts';
import { nodeTicketCrypto } from '../node/ticket-crypto.ts';
import { Deadline } from '../node/deadline.ts';
import type { PortContext } from '../../protocol/channels/port/port-handler.ts';

export interface OpenOptions {
  target: string;
  timeoutMs: number;
  logger: Logger;
  shouldLink?: (c: ChannelId) => boolean;
  display?: DisplayOptions;
  /** Where warnings for the user go (one line each). */
  warn: (line: string) => void;
  /** --spice-ca-file, trusted together with the profile's ca. */
  caFile?: CaFile;
  /**
   * Start a decode worker as soon as the session links, for commands that go on receiving
   * compressed images (do); by default the first compressed image starts it.
   */
  prestartDecoders?: boolean;
  /**
   * Decode images in this thread instead of a pool of workers (in-thread-decoder.ts): for
   * `capture`, which takes one frame, where a worker's start would only delay it.
   */
  decodeInThisThread?: boolean;
  /** --memory-limit in bytes; undefined: the default (DEFAULT_MEMORY_LIMIT). */
  memoryLimit?: number;
  /** --video-codecs; undefined: the profile's video-codecs, else this client's own order. */
  videoCodecs?: number[];
  /** What the port handlers get (the shared folder's WebDAV server); default nothing shared. */
  ports?: PortContext;
}

export interface OpenedSession {
  session: Session;
  where: string;
  deadline: Deadline;
  /** The TARGET's settings (.vv keys such as the USB policy's). */
  profile: ConnectionProfile;
  /** Links a new session to the same place with the same password (`do --reconnect`). */
  relink: () => Promise<OpenedSession>;
}

export async function openSession(o: OpenOptions): Promise<OpenedSession> {
  const target = await resolveTarget(o.target);
  const { profile } = target;
  for (const w of profile.warnings) o.warn(w);
  await applyDeleteThisFile(target, { warn: o.warn });
  const plan = planConnection(profile, { timeoutMs: o.timeoutMs, caFile: o.caFile, logger: o.logger });
  // The password from the profile or SPICE_PASSWORD; a terminal prompt only once the server has
  // refused the link without one, so password-less servers never prompt (remote-viewer does the same).
  const given = profile.password ?? process.env.SPICE_PASSWORD;
  try {
    return await linkSession(o, plan, given, profile);
  } catch (e) {
    const canPrompt = given === undefined && Boolean(process.stdin.isTTY);
    if (!(e instanceof SpiceError && e.kind === 'auth' && canPrompt)) throw e;
    const typed = await resolvePassword(profile, { env: {}, stdin: process.stdin, stderr: process.stderr, isTTY: true });
    return linkSession(o, plan, typed, profile);
  }
}

async function linkSession(o: OpenOptions, plan: ConnectPlan, password: string | undefined, profile: ConnectionProfile): Promise<OpenedSession> {
  const deadline = new Deadline(o.timeoutMs);
  const decoders: ImageDecoder = o.decodeInThisThread ? new InThreadDecoder() : new DecodePool({ logger: o.logger });
  // One budget for the session and its display pipeline: surfaces, caches and buffered bytes.
  const memoryBudget = new MemoryBudget(o.memoryLimit);
  const session = new Session({
    connector: plan.connector,
    crypto: nodeTicketCrypto,
    logger: o.logger,
    password,
    where: plan.where,
    shouldLink: o.shouldLink,
    // The codec order: the command line's, else the profile's, else the host's own (null).
    display: { ...(o.display ?? defaultDisplayOptions), videoCodecs: o.videoCodecs ?? profile.videoCodecs ?? o.display?.videoCodecs ?? null },
    memoryBudget,
    warn: o.warn,
    // Sound is played (recorded to a file) and the microphone sent by this process (src/main/audio).
    audio: cliAudioCapabilities,
    ports: o.ports,
    // Drawing in this thread; compressed images decoded in worker threads, or here for capture (src/main/display-worker).
    displaySink: new LocalDisplaySink({
      logger: o.logger,
      decoder: decoders,
      // MJPEG stream frames are JPEG images: the pool's workers decode them. VP8 and VP9 are
      // decoded by libav.js in a worker of their own, started by the first such stream (src/main/video).
      video: combineVideoDecoders(mjpegVideoDecoders(decoders), cliVideoDecoders(o.logger)),
      budget: memoryBudget,
      announcedCachePixels: o.display ? Number(o.display.cacheSizePixels) : undefined,
    }),
  });
  // The .vv color-depth and disable-effects keys, sent once the agent is there.
  session.main.agent.monitors.setDisplayConfig(displayConfigFromProfile(profile));
  try {
    await deadline.race(
      session.connect(),
      () => new SpiceError('unreachable', `${plan.where} accepted the connection but did not complete the SPICE link within ${Math.round(o.timeoutMs / 1000)} s`),
    );
  } catch (e) {
    void session.close();
    throw e;
  }
  if (o.prestartDecoders) decoders.prestart?.();
  return { session, where: plan.where, deadline, profile, relink: () => relinkSession(o, plan, password, profile) };
}

/**
 * Links again to the same place with the password that worked. A server that now refuses it (a
 * one-time ticket that expired, a VM restarted with a new one) gets a new one typed on the
 * terminal, when there is one; the typed one is used for later reconnects.
 */
async function relinkSession(o: OpenOptions, plan: ConnectPlan, password: string | undefined, profile: ConnectionProfile): Promise<OpenedSession> {
  try {
    return await linkSession(o, plan, password, profile);
  } catch (e) {
    if (!(e instanceof SpiceError && e.kind === 'auth' && process.stdin.isTTY)) throw e;
    o.warn(`${plan.where} refused the password on reconnecting (it may have expired)`);
    const typed = await resolvePassword({ ...profile, password: undefined }, { env: {}, stdin: process.stdin, stderr: process.stderr, isTTY: true });
    return linkSession(o, plan, typed, profile);
  }
}
