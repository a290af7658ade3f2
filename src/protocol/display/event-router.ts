// Routes display pipeline events to the listeners of their channel. Its own module, so that a sink
// forwarding to another thread does not pull the pipeline (decoders, compositor) into its bundle.
import type { PipelineEvent } from '../channels/display/display-sink.ts';

/** Routes pipeline events to the listeners of their channel. */
export class EventRouter {
  private readonly listeners = new Map<number, Set<(event: PipelineEvent) => void>>();

  listen(channelId: number, listener: (event: PipelineEvent) => void): () => void {
    let set = this.listeners.get(channelId);
    if (!set) this.listeners.set(channelId, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  dispatch(event: PipelineEvent): void {
    const set = this.listeners.get(event.channelId);
    if (set) for (const l of [...set]) l(event);
  }
}
