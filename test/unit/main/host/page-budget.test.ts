// The memory the host holds for its pages: a backlog bound per page and for all pages together
// (the page that is behind when the total is passed is closed, saying why), and clipboard images
// from pages refused before they are buffered when the policy closes that direction, capped per
// image and in total.
import { describe, expect, it, vi } from 'vitest';
import type { WebSocket } from 'ws';
import { FileLimits } from '../../../../src/protocol/bridge/file-messages.ts';
import { Agent } from '../../../../src/protocol/channels/main/agent/agent.ts';
import { AgentCap, buildAnnounceCapabilities } from '../../../../src/protocol/channels/main/agent/agent-messages.ts';
import { CapSet } from '../../../../src/protocol/link/caps.ts';
import { silentLogger } from '../../../../src/protocol/logger.ts';
import { FakePageSocket } from '../../../helpers/fake-page-socket.ts';
import type { Session } from '../../../../src/protocol/session/session.ts';
import { GatewayConnection } from '../../../../src/main/gateway/gateway-connection.ts';
import { PageAgent } from '../../../../src/main/host/page-agent.ts';
import { ImageParts } from '../../../../src/main/host/page-clipboard-images.ts';
import { BEHIND_BYTES, PageBudget } from '../../../../src/main/host/page-budget.ts';
import { encodeSurfacePng } from '../../../../src/main/node/png.ts';

const MiB = 1024 * 1024;

function page(budget: PageBudget, backlog: number): FakePageSocket {
  const ws = new FakePageSocket();
  ws.bufferedAmount = backlog;
  new GatewayConnection(ws as unknown as WebSocket, { targets: [], logger: silentLogger, linkTimeoutMs: 1000, helloTimeoutMs: 60_000, budget }, 1);
  return ws;
}

const lastStatus = (ws: FakePageSocket): string => {
  const s = ws.sent.filter((m) => m.kind === 'status').at(-1);
  return s?.kind === 'status' && s.status.state === 'error' ? s.status.message : '';
};

describe('the backlog budget', () => {
  it('closes a page over its own bound, saying how far behind it is', () => {
    const budget = new PageBudget({ backlogPerPage: 8 * MiB, backlogTotal: 100 * MiB, imagesTotal: MiB });
    const behind = page(budget, 8 * MiB + 1);
    expect(behind.closed?.code).toBe(1011);
    expect(lastStatus(behind)).toBe('the browser is not keeping up with the display (8.0 MiB queued for this page, at most 8.0 MiB); closing this page');
    const keeping = page(budget, 8 * MiB);
    expect(keeping.closed).toBeNull();
  });

  it('closes a page that is behind once the pages together pass the total; pages that keep up stay', () => {
    const budget = new PageBudget({ backlogPerPage: 8 * MiB, backlogTotal: 20 * MiB, imagesTotal: MiB });
    const pages = [page(budget, 7 * MiB), page(budget, 7 * MiB), page(budget, 6 * MiB)];
    expect(pages.every((p) => p.closed === null)).toBe(true);
    expect(budget.backlogTotal()).toBe(20 * MiB);
    // The fourth page that is behind passes the total: it is the one closed, and told why.
    const fourth = page(budget, 2 * MiB);
    expect(fourth.closed?.code).toBe(1011);
    expect(lastStatus(fourth)).toBe("the gateway's pages together are too far behind (22 MiB queued, at most 20 MiB); closing this page, which is 2.0 MiB behind");
    // A closed page's backlog no longer counts; one that keeps up is never closed for the others.
    expect(budget.backlogTotal()).toBe(20 * MiB);
    pages[0].bufferedAmount = 10 * MiB;
    expect(page(budget, BEHIND_BYTES).closed).toBeNull();
  });
});

function agentWithClipboard(): Agent {
  const agent = new Agent({ sendAgentData: () => {}, log: silentLogger });
  agent.connect();
  agent.takeCapabilities(buildAnnounceCapabilities({ request: false, caps: CapSet.of(AgentCap.CLIPBOARD_BY_DEMAND, AgentCap.CLIPBOARD_SELECTION) }));
  return agent;
}

describe('clipboard images from pages', () => {
  it('are refused before they are buffered when the policy closes the direction', () => {
    const budget = new PageBudget({ backlogPerPage: MiB, backlogTotal: MiB, imagesTotal: 64 * MiB });
    const p = new PageAgent(() => {}, silentLogger, budget);
    p.setPolicy({ toGuest: false, fromGuest: true });
    const agent = agentWithClipboard();
    const setPng = vi.spyOn(agent.clipboard, 'setPng').mockResolvedValue();
    p.attach({ main: { agent } } as unknown as Session);
    p.images.pagePart(FileLimits.maxClipboardImageBytes, 0, new Uint8Array(1000));
    expect(budget.imagesHeld).toBe(0);
    expect(p.images.stats.refused).toBe(1);
    p.images.pagePart(FileLimits.maxClipboardImageBytes, 1000, new Uint8Array(1000));
    expect(budget.imagesHeld).toBe(0);
    expect(setPng).not.toHaveBeenCalled();
    // With the direction open, the same page's image is taken.
    p.setPolicy({ toGuest: true, fromGuest: true });
    const png = encodeSurfacePng({ width: 2, height: 2, data: new Uint32Array(4).fill(0xff336699) });
    p.images.pagePart(png.byteLength, 0, png);
    expect(setPng).toHaveBeenCalledTimes(1);
    expect(budget.imagesHeld).toBe(0);
  });

  it('are capped at a sane size, and all pages together within the total', () => {
    expect(FileLimits.maxClipboardImageBytes).toBeLessThanOrEqual(16 * MiB);
    const budget = new PageBudget({ backlogPerPage: MiB, backlogTotal: MiB, imagesTotal: 10 * MiB });
    const a = new ImageParts(budget);
    const b = new ImageParts(budget);
    expect(() => a.add(FileLimits.maxClipboardImageBytes + 1, 0, new Uint8Array(1))).toThrow(/larger than the 16777216 allowed/);
    expect(a.add(6 * MiB, 0, new Uint8Array(100))).toBeNull();
    expect(budget.imagesHeld).toBe(6 * MiB);
    expect(() => b.add(5 * MiB, 0, new Uint8Array(100))).toThrow(/holds 6291456 bytes of clipboard images from its pages already/);
    // An image given up (a bad part, or the page leaving) gives its room back.
    expect(() => a.add(6 * MiB, 5, new Uint8Array(1))).toThrow(/does not follow the 100 bytes received/);
    expect(budget.imagesHeld).toBe(0);
    expect(b.add(4, 0, Uint8Array.of(1, 2))).toBeNull();
    expect(Array.from(b.add(4, 2, Uint8Array.of(3, 4)) ?? [])).toEqual([1, 2, 3, 4]);
    expect(budget.imagesHeld).toBe(0);
  });
});
