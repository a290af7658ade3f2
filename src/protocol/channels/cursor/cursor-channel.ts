// The cursor channel: the guest's pointer shape, position and visibility, and the cursor cache.
// Messages are parsed (cursor-messages.ts), decoded to RGBA (cursor-decode.ts) and applied
// (cursor-state.ts) here, in the session's process. A later renderer that wants to decode in its
// own process can take the raw bodies from 'message' and run the same three pure steps.
//
// A malformed cursor message (truncated, a lying size, an unknown type) is logged, reported as
// 'message-error' and skipped: the channel loop has already framed the body by its header, so
// the next message starts where it should and the stream stays in step. Only broken framing (a
// header declaring an impossible size) ends the channel, and the channel base handles that.
import { SpiceChannel, type ChannelHost, type HandlerTable, type MessageHandler } from '../../channel/channel.ts';
import { Emitter } from '../../emitter.ts';
import { ChannelType } from '../../link/constants.ts';
import { isSpiceError } from '../../wire/errors.ts';
import type { CursorDecodeOptions, CursorImage } from './cursor-decode.ts';
import { cursorMessageNames, CursorMsg, parseCursorMessage } from './cursor-messages.ts';
import { CursorState } from './cursor-state.ts';

export type CursorEvents = {
  /** A new shape; image null = no cursor (the server sent none, or RESET). */
  shape: { image: CursorImage | null };
  move: { x: number; y: number };
  visible: boolean;
  /** Every message's raw body, before it is applied (for a renderer that decodes elsewhere). */
  message: { type: number; body: Uint8Array; serial: bigint };
  /** A message that could not be applied; the channel goes on. */
  'message-error': { message: string };
};

type H = MessageHandler<CursorChannel>;

const applyMessage = (name: string): H => ({
  name,
  handle: (ch, body, serial, type) => ch.receive(type, body, serial),
});

const cursorHandlers: HandlerTable<CursorChannel, typeof CursorMsg> = {
  [CursorMsg.INIT]: applyMessage('INIT'),
  [CursorMsg.RESET]: applyMessage('RESET'),
  [CursorMsg.SET]: applyMessage('SET'),
  [CursorMsg.MOVE]: applyMessage('MOVE'),
  [CursorMsg.HIDE]: applyMessage('HIDE'),
  [CursorMsg.TRAIL]: applyMessage('TRAIL'),
  [CursorMsg.INVAL_ONE]: applyMessage('INVAL_ONE'),
  [CursorMsg.INVAL_ALL]: applyMessage('INVAL_ALL'),
};

export class CursorChannel extends SpiceChannel {
  readonly events = new Emitter<CursorEvents>();
  /** The current shape, position, visibility and cache. */
  readonly cursor: CursorState;

  constructor(host: ChannelHost, id: number, decodeOptions: CursorDecodeOptions = {}) {
    super(host, ChannelType.CURSOR, id);
    this.cursor = new CursorState(
      {
        shape: (image) => this.events.emit('shape', { image }),
        move: (x, y) => this.events.emit('move', { x, y }),
        visible: (visible) => this.events.emit('visible', visible),
      },
      this.log,
      decodeOptions,
      host.memoryBudget,
    );
  }

  protected override handlerFor(type: number): MessageHandler<this> | undefined {
    return (cursorHandlers as Record<number, H>)[type] as MessageHandler<this> | undefined;
  }

  /** Parses and applies one message body; a malformed one is reported and skipped. */
  receive(type: number, body: Uint8Array, serial = 0n): void {
    this.events.emit('message', { type, body, serial });
    try {
      this.cursor.apply(parseCursorMessage(type, body, { channel: this.name }));
    } catch (e) {
      if (!isSpiceError(e)) throw e;
      this.log.warn({ type, size: body.byteLength }, `skipping cursor message ${cursorMessageNames[type] ?? type}: ${e.message}`);
      this.events.emit('message-error', { message: e.message });
    }
  }

  override close(): Promise<void> {
    const closed = super.close();
    this.cursor.clearCache();
    return closed;
  }
}
