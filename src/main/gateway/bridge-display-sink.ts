// The gateway's DisplaySink: display message bodies go over the bridge to the browser as they
// came from the server, still compressed. The browser decodes and draws them (its Web Worker runs
// the display pipeline); pixels never come back, so there is nothing to snapshot here.
import type { DisplayStats, PipelineEvent, SurfaceSnapshot } from '../../protocol/channels/display/display-pipeline.ts';
import type { DisplaySink } from '../../protocol/channels/display/display-sink.ts';
import { EventRouter } from '../../protocol/channels/display/event-router.ts';
import { encodeHostMessage } from '../../protocol/bridge/host-codec.ts';
import { SpiceError } from '../../protocol/wire/errors.ts';

export class BridgeDisplaySink implements DisplaySink {
  private readonly router = new EventRouter();
  private closed = false;

  constructor(private readonly send: (message: Uint8Array) => void) {}

  submit(channelId: number, type: number, body: Uint8Array, serial: bigint): void {
    if (this.closed) return;
    this.send(encodeHostMessage({ kind: 'display', channelId, type, serial, body }));
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

  close(): void {
    this.closed = true;
  }
}
