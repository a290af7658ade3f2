// An AgentLink that records what would go to the agent, for the clipboard, monitor and file tests.
import { CapSet } from '../../../../../src/protocol/link/caps.ts';
import type { AgentLink } from '../../../../../src/protocol/channels/main/agent/agent-transport.ts';
import { silentLogger, type Logger } from '../../../../../src/protocol/logger.ts';

export interface FakeLink extends AgentLink {
  sent: { type: number; body: Uint8Array }[];
  peerCaps: CapSet | null;
  connected: boolean;
}

export function fakeLink(caps: number[], log: Logger = silentLogger): FakeLink {
  const link: FakeLink = {
    sent: [],
    peerCaps: CapSet.of(...caps),
    connected: true,
    log,
    send: async (type, body) => {
      if (!link.connected) throw new Error('not connected');
      link.sent.push({ type, body });
    },
  };
  return link;
}

export const u32s = (...v: number[]): Uint8Array => {
  const out = new Uint8Array(v.length * 4);
  const view = new DataView(out.buffer);
  v.forEach((x, i) => view.setUint32(i * 4, x, true));
  return out;
};

