// #mouse=server keeps relative motion (Pointer Lock) where the server offers absolute positions
// too. Asked once, with the host's first status (its session is then being linked, so the host
// knows the preference before the server's INIT and never asks for client mode first), and it
// holds for reconnects as well. Head windows (#join=...) follow head 1's, so they do not ask.
import type { PagePart } from './page-parts.ts';

export const mouseModeRequestPart: PagePart = {
  name: 'mouse-mode-request',
  applies: (context) => context.options.get('mouse') === 'server' && !context.headWindow,
  mount(page) {
    let asked = false;
    return {
      onHostMessage(m) {
        if ((m.kind === 'status' || m.kind === 'mouse-mode') && !asked) {
          asked = true;
          page.send({ kind: 'mouse-mode-request', mode: 'server' });
        }
        // The page still takes the mode the host reports.
        return false;
      },
    };
  },
};
