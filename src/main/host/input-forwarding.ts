// Input from the page (already validated by the bridge decoder) to the session's inputs channel,
// which paces motion under the server's acks. Without an inputs channel (a server without one,
// or before it is linked) input is dropped: a page cannot queue up keys for later.
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

export function forwardInput(session: Session, m: UiMessage, log: Logger): void {
  const inputs = inputsOf(session);
  if (!inputs) {
    log.debug({ kind: m.kind }, 'input dropped: no linked inputs channel');
    return;
  }
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
