// The order a joining view gets the screen in: it is added, and every view resets, before anything
// of a relinked display channel, even when the first display channel cannot be relinked (still
// linking, or failed). Before, the view was added only when that first channel closed: without it
// the view joined last, after the other channels' new surfaces had gone to head 1's page alone,
// and the reset sent then wiped those surfaces on every page (head 2's window of a QEMU guest
// stayed at 'surface 0x0').
import { describe, expect, it } from 'vitest';
import type { HostMessage } from '../../../../src/protocol/bridge/bridge-messages.ts';
import { decodeHostMessage, encodeHostMessage } from '../../../../src/protocol/bridge/host-codec.ts';
import { ChannelType } from '../../../../src/protocol/link/constants.ts';
import { silentLogger } from '../../../../src/protocol/logger.ts';
import type { Session } from '../../../../src/protocol/session/session.ts';
import { HeadGroup, HeadRegistry } from '../../../../src/main/monitors/head-group.ts';
import { waitUntil } from '../../../helpers/wait.ts';

/** A linked session as relinkChannel sees it, whose server is gone: new links fail at once. */
function sessionWith(channels: { type: number; id: number; state: string }[]): { session: Session; closed: string[] } {
  const closed: string[] = [];
  const map = new Map(
    channels.map((c) => [
      `${c.type}:${c.id}`,
      {
        ...c,
        close: () => {
          closed.push(`${c.type}:${c.id}`);
          c.state = 'closed';
          return Promise.resolve();
        },
      },
    ]),
  );
  const session = {
    logger: silentLogger,
    connector: () => Promise.reject(new Error('the server is gone')),
    password: '',
    where: 'test',
    channels: map,
    status: new Map(),
    events: { emit: () => {} },
    main: { state: 'closed', info: { sessionId: 1 } },
    displaySink: { submit: () => {}, listen: () => () => {} },
    waitForSerial: () => Promise.resolve(),
    processed: () => {},
  };
  return { session: session as unknown as Session, closed };
}

describe('a view joining a session with several display channels', () => {
  it('is added and reset before any channel is relinked, when the first display channel is not linked yet', async () => {
    const { session, closed } = sessionWith([
      { type: ChannelType.DISPLAY, id: 0, state: 'linking' },
      { type: ChannelType.DISPLAY, id: 1, state: 'ready' },
    ]);
    const owner: HostMessage[] = [];
    const view: HostMessage[] = [];
    let relayouts = 0;
    // As the owner's BridgeHost does: what head 1's page is sent, the group relays to the views.
    const group: HeadGroup = new HeadGroup(new HeadRegistry(), {
      log: silentLogger,
      session: () => session,
      sendToOwner: (m) => {
        owner.push(m);
        group.relay(m, encodeHostMessage(m));
      },
      relayout: () => relayouts++,
      pageText: () => {},
      input: () => {},
    });
    const joined = group.join(1, { sendBytes: (b) => view.push(decodeHostMessage(b)), end: () => {} });
    expect(typeof joined).not.toBe('string');
    // In the turn of the join, before channel 1 is closed and linked again: the view is in, and reset.
    expect(view.map((m) => m.kind)).toEqual(['heads', 'display-reset']);
    expect(owner.filter((m) => m.kind === 'display-reset')).toHaveLength(1);
    expect(closed).toEqual([]);

    await waitUntil('the relinks done', () => relayouts > 0, 5000);
    expect(closed).toEqual([`${ChannelType.DISPLAY}:1`]);
    // No second reset after channel 1's new messages: one reset for the whole relink.
    expect(owner.filter((m) => m.kind === 'display-reset')).toHaveLength(1);
    expect(view.filter((m) => m.kind === 'display-reset')).toHaveLength(1);
  });

  it('is added and reset in the turn of the join when the session has no display channel', () => {
    const { session } = sessionWith([]);
    const view: HostMessage[] = [];
    const group: HeadGroup = new HeadGroup(new HeadRegistry(), {
      log: silentLogger,
      session: () => session,
      sendToOwner: (m) => group.relay(m, encodeHostMessage(m)),
      relayout: () => {},
      pageText: () => {},
      input: () => {},
    });
    group.join(1, { sendBytes: (b) => view.push(decodeHostMessage(b)), end: () => {} });
    expect(view.map((m) => m.kind)).toEqual(['heads', 'display-reset']);
  });
});
