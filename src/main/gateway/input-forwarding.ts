// Input from the page (keys, mouse) to the session's inputs channel.
import type { UiMessage } from '../../protocol/bridge/bridge-messages.ts';
import type { Logger } from '../../protocol/logger.ts';
import type { Session } from '../../protocol/session/session.ts';

export function forwardInput(_session: Session, m: UiMessage, log: Logger): void {
  log.debug({ kind: m.kind }, 'input dropped: the inputs channel is not wired into the gateway yet');
}
