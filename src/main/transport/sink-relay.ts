// What every transport does between its socket and the channel: bytes that arrive before the
// channel has started are kept for it, and the end (with its error, if any) is reported once.
import type { TransportSink } from '../../protocol/wire/transport.ts';

export class SinkRelay {
  private sink: TransportSink | null = null;
  private early: Uint8Array[] = [];
  private endedWith: { error?: Error } | null = null;

  data(bytes: Uint8Array): void {
    if (this.sink) this.sink.data(bytes);
    else this.early.push(bytes);
  }

  end(error?: Error): void {
    if (this.endedWith) return;
    this.endedWith = { error };
    this.sink?.end(error);
  }

  start(sink: TransportSink): void {
    this.sink = sink;
    for (const c of this.early) sink.data(c);
    this.early = [];
    if (this.endedWith) sink.end(this.endedWith.error);
  }
}
