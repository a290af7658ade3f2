// A channel that is linked (so the server sees a complete client) but whose own messages are not
// acted on yet: inputs, cursor, audio, usbredir, port, webdav, smartcard until their issues land.
import { SpiceChannel, type MessageHandler } from '../channel/channel.ts';

export class GenericChannel extends SpiceChannel {
  /** Message numbers received and ignored, with counts (shown by `info --json`). */
  readonly ignored = new Map<number, number>();

  protected override handlerFor(type: number): MessageHandler<this> | undefined {
    this.ignored.set(type, (this.ignored.get(type) ?? 0) + 1);
    return ignoreHandler as MessageHandler<this>;
  }
}

const ignoreHandler: MessageHandler<GenericChannel> = {
  name: 'not implemented yet',
  handle(ch, body, _serial, type) {
    if (ch.ignored.get(type) === 1) ch.log.debug({ type, size: body.byteLength }, 'message ignored: channel not implemented yet');
  },
};
