// Input from the page (already validated by the bridge decoder) to the session's inputs channel,
// which paces motion under the server's acks. The desktop shows before the inputs channel has
// linked (display 0 links at the main channel's INIT, inputs at the channel list), so what the user
// types or clicks in that moment is held and sent once it links: a bounded queue, replayed only if
// it links within a few seconds (stale keys are not typed later). Without an inputs channel (a
// server without one, or one that failed) input is dropped.
import type { UiMessage } from '../../protocol/bridge/bridge-messages.ts';
import { InputsChannel } from '../../protocol/channels/inputs/inputs-channel.ts';
import { parseKeyCombo } from '../../protocol/input/key-combo.ts';
import { ChannelType } from '../../protocol/link/constants.ts';
import type { Logger } from '../../protocol/logger.ts';
import type { Session } from '../../protocol/session/session.ts';

const ctrlAltDel = parseKeyCombo('ctrl+alt+delete');

export function inputsOf(session: Session): InputsChannel | undefined {
  const ch = session.channels.get(`${ChannelType.INPUTS}:0`);
  return ch instanceof InputsChannel && ch.state === 'ready' ? ch : undefined;
}

/** At most this many messages wait for a linking inputs channel (releases past it still do, up to twice as many, so no key stays down). */
export const HELD_INPUT_LIMIT = 256;
/** Held input older than this when the channel links is dropped: keys typed long ago are not typed now. */
export const HELD_INPUT_MAX_AGE_MS = 3000;

const releases = new Set<UiMessage['kind']>(['key-up', 'mouse-release', 'key-modifiers']);

/** Input waiting for one session's inputs channel to finish linking. */
class HeldInput {
  private readonly messages: { m: UiMessage; at: number }[] = [];
  private warned = false;

  constructor(
    private readonly session: Session,
    private readonly channel: InputsChannel,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {
    const stops = [
      session.events.on('channel-linked', (ch) => {
        if (ch !== channel) return;
        stopAll();
        this.replay();
      }),
      session.events.on('channel-error', ({ channel: c }) => {
        if (c.type !== ChannelType.INPUTS || c.id !== 0) return;
        stopAll();
        this.drop('the inputs channel failed to link');
      }),
    ];
    const stopAll = (): void => {
      for (const stop of stops) stop();
      heldBySession.delete(session);
    };
  }

  hold(m: UiMessage): void {
    const last = this.messages.at(-1);
    // A pointer that moves on while nothing else happened: only where it ended matters.
    if (m.kind === 'mouse-position' && last?.m.kind === 'mouse-position' && last.m.displayId === m.displayId && last.m.buttons === m.buttons) {
      this.messages[this.messages.length - 1] = { m, at: this.now() };
      return;
    }
    const limit = releases.has(m.kind) ? 2 * HELD_INPUT_LIMIT : HELD_INPUT_LIMIT;
    if (this.messages.length >= limit) {
      if (!this.warned) this.log.warn({ limit: HELD_INPUT_LIMIT }, 'input dropped: more than the held limit while the inputs channel links');
      this.warned = true;
      return;
    }
    this.messages.push({ m, at: this.now() });
  }

  private replay(): void {
    const oldest = this.now() - HELD_INPUT_MAX_AGE_MS;
    const fresh = this.messages.filter((h) => h.at >= oldest);
    // Stale presses are not replayed; their releases go anyway (harmless for a key never pressed),
    // and so do pointer positions: where the pointer is stays true, a fresh click lands there.
    const sent = fresh.length === this.messages.length ? fresh : this.messages.filter((h) => h.at >= oldest || releases.has(h.m.kind) || h.m.kind === 'mouse-position');
    if (sent.length < this.messages.length) this.log.info({ dropped: this.messages.length - sent.length }, 'held input dropped: older than the link took');
    this.messages.length = 0;
    for (const { m } of sent) send(this.channel, m);
  }

  private drop(why: string): void {
    if (this.messages.length) this.log.info({ dropped: this.messages.length }, `held input dropped: ${why}`);
    this.messages.length = 0;
  }
}

const heldBySession = new WeakMap<Session, HeldInput>();

export function forwardInput(session: Session, m: UiMessage, log: Logger, now: () => number = () => performance.now()): void {
  const ch = session.channels.get(`${ChannelType.INPUTS}:0`);
  if (ch instanceof InputsChannel && (ch.state === 'idle' || ch.state === 'linking')) {
    if (m.kind === 'hello') return;
    let held = heldBySession.get(session);
    if (!held) heldBySession.set(session, (held = new HeldInput(session, ch, log, now)));
    held.hold(m);
    return;
  }
  const inputs = inputsOf(session);
  if (!inputs) {
    log.debug({ kind: m.kind }, 'input dropped: no linked inputs channel');
    return;
  }
  send(inputs, m);
}

function send(inputs: InputsChannel, m: UiMessage): void {
  switch (m.kind) {
    case 'key-down':
      inputs.keyDown(m.scancode);
      return;
    case 'key-up':
      inputs.keyUp(m.scancode);
      return;
    case 'key-modifiers':
      inputs.setLockModifiers(m.modifiers);
      return;
    case 'mouse-position':
      inputs.mousePosition(m.x, m.y, m.buttons, m.displayId);
      return;
    case 'mouse-motion':
      inputs.mouseMotion(m.dx, m.dy, m.buttons);
      return;
    case 'mouse-press':
      inputs.mousePress(m.button, m.buttons);
      return;
    case 'mouse-release':
      inputs.mouseRelease(m.button, m.buttons);
      return;
    case 'ctrl-alt-del':
      for (const step of ctrlAltDel) {
        if (step.down) inputs.keyDown(step.scancode);
        else inputs.keyUp(step.scancode);
      }
      return;
    case 'hello':
      return;
  }
}
