// The gateway's DisplaySink: display message bodies go over the bridge to the browser as they
// came from the server, still compressed. The browser decodes and draws them (its Web Worker runs
// the display pipeline); pixels never come back, so there is nothing to snapshot here. The body is
// handed on by reference (a view into the socket's chunk): the packet it goes in copies it once.
// The video codecs are the page's (its HELLO lists what its browser decodes, before the session
// and so its display channels exist); the session's multimedia time goes to the page, and the
// streams the page could not decode come back as pipeline events for the display channel.
import type { DisplayStats, PipelineEvent, SurfaceSnapshot, VideoCodecSupport } from '../../protocol/channels/display/display-sink.ts';
import { DisplayMsg } from '../../protocol/channels/display/display-messages.ts';
import type { DisplaySink } from '../../protocol/channels/display/display-sink.ts';
import { EventRouter } from '../../protocol/display/event-router.ts';
import { SpiceError } from '../../protocol/wire/errors.ts';

export class BridgeDisplaySink implements DisplaySink {
  private readonly router = new EventRouter();
  private closed = false;

  constructor(
    private readonly send: (channelId: number, type: number, serial: bigint, body: Uint8Array) => void,
    private readonly page: { videoCodecs?: readonly VideoCodecSupport[]; sendMediaTime?: (mmNow: number) => void } = {},
  ) {}

  submit(channelId: number, type: number, body: Uint8Array, serial: bigint): void {
    if (this.closed) return;
    this.send(channelId, type, serial, body);
  }

  listen(channelId: number, listener: (event: PipelineEvent) => void): () => void {
    return this.router.listen(channelId, listener);
  }

  snapshot(): Promise<SurfaceSnapshot | null> {
    return Promise.reject(new SpiceError('internal', 'the gateway does not draw: the browser decodes the display'));
  }

  stats(): Promise<DisplayStats> {
    return Promise.reject(new SpiceError('internal', 'the gateway does not draw: the browser decodes the display'));
  }

  /** What the page's HELLO listed: the display channels announce exactly these. */
  videoCodecs(): readonly VideoCodecSupport[] {
    return this.page.videoCodecs ?? [];
  }

  setMediaTime(mmNow: number): void {
    if (!this.closed) this.page.sendMediaTime?.(mmNow);
  }

  /**
   * The page could not decode a stream (its STREAM_ERROR): the display channel drops the stream
   * and tells the server. A channel or stream the session does not have is the channel's to ignore.
   */
  streamError(channelId: number, streamId: number, message: string, serial?: bigint): void {
    if (this.closed) return;
    this.router.dispatch(serial === undefined ? { type: 'stream-error', channelId, streamId, message } : { type: 'stream-error', channelId, streamId, message, serial });
  }

  close(): void {
    this.closed = true;
  }
}

// A session with head views (monitors/head-group.ts) relays each encoded DISPLAY message to them
// and reads MONITORS_CONFIG from it, so its owner encodes display messages only while some view
// joined, or for MONITORS_CONFIG; otherwise the bodies go into the packet by reference. The group
// keeps its views to itself, so the pages that join count themselves here, conservatively from
// the join (the group adds the view a little later) to the view's end.
const joinedViews = new WeakMap<object, number>();

export function countJoinedView(group: object, delta: 1 | -1): void {
  joinedViews.set(group, Math.max(0, (joinedViews.get(group) ?? 0) + delta));
}

/** Whether the owner of `group` must hand it this display message encoded. */
export function headsNeedDisplayBytes(group: object, type: number): boolean {
  return type === DisplayMsg.MONITORS_CONFIG || (joinedViews.get(group) ?? 0) > 0;
}
