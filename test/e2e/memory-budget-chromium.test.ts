// The page's side of the memory budget: the browser session's surfaces are composed in the page's
// decode worker, which has a budget of its own (the default 1 GiB). A relay between the gateway and
// Xspice adds twelve 8192x8192 surfaces in front of the server's first one: the page shows the
// sentence naming the fourth, the session ends, and the gateway goes on serving.
import { describe, expect, it } from 'vitest';
import { DisplayMsg } from '../../src/protocol/channels/display/display-messages.ts';
import type { RelayedMessage } from '../peers/spice-relay.ts';
import { fillSurfaceBody, surfaceCreateBody } from '../helpers/huge-surfaces.ts';
import { pageState } from './page-api.ts';
import { useGatewayPeers } from './gateway-peers.ts';

const DISPLAY = 2;

const surfaceCreate = (id: number, side: number): RelayedMessage => ({ type: DisplayMsg.SURFACE_CREATE, body: surfaceCreateBody(id, side) });
const fillAll = (id: number, side: number): RelayedMessage => ({ type: DisplayMsg.DRAW_FILL, body: fillSurfaceBody(id, side) });

describe('huge surfaces sent to a page', () => {
  let injected = 0;
  // serve's target is the relay.
  const peers = useGatewayPeers({ imageCompression: 'off' }, undefined, {
    relay: {
      fromServer(channel, message) {
        if (channel.type !== DISPLAY || message.type !== DisplayMsg.SURFACE_CREATE || injected > 0) return undefined;
        injected++;
        const added: RelayedMessage[] = [];
        for (let i = 1; i <= 12; i++) added.push(surfaceCreate(i, 8192), fillAll(i, 8192));
        return [...added, message];
      },
    },
  });

  it("the page's decode worker refuses the fourth, says what it was, and the session ends", async () => {
    const page = await peers.browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(peers.serve.url);
    await page.waitForFunction(() => window.spicedeskPage?.state().status === 'error', undefined, { timeout: 30_000, polling: 100 });
    const state = await pageState(page);
    expect(injected).toBe(1);
    expect(state.statusText).toMatch(
      /^the server asked for surface 4 of 8192x8192 \(256 MiB\), which would take this session to (just over 1|1\.0\d) GiB of its 1 GiB memory limit/,
    );
    // Nothing more was drawn: the primary surface the server created after them never reached the page.
    expect(state.marks).toBe(0);
    expect(peers.serve.process.running()).toBe(true);
    await page.close();
  }, 60_000);
});
