// What the windows of a several-heads session showed, and what the gateway logged about the views
// that joined it, for the message of a test that timed out waiting on a head window: a flake there
// (seen once in a loaded full run, never reproduced since) must say which side lost what.
import type { Page } from 'playwright-core';
import type { RelayHooks } from '../peers/spice-relay.ts';
import { DISPLAY } from '../peers/stream-wire.ts';
import { pageState } from './page-api.ts';

/** The gateway's log lines (serve -v) about views joining and the channels linked again for them. */
const JOIN_LINES = /asked the server for video codecs|joins the session|left the session|linked again|could not be linked|relinked channel failed|joining view|reconnect|session lost|channel failed/;

interface DisplayConnection {
  index: number;
  linkedAt: number;
  fromServer: Map<number, number>;
  fromClient: Map<number, number>;
  lastServerAt: number;
  lastClientAt: number;
}

/**
 * What went over each display channel connection, seen by a SPICE relay between serve and the
 * server: message counts by type each way and when the last one passed. It tells a server that
 * went silent from a gateway that stopped passing on what it got.
 */
export class DisplayTrace {
  private readonly connections: DisplayConnection[] = [];

  readonly hooks: RelayHooks = {
    onLinked: (channel) => {
      if (channel.type === DISPLAY) this.connections.push({ index: channel.index, linkedAt: Date.now(), fromServer: new Map(), fromClient: new Map(), lastServerAt: 0, lastClientAt: 0 });
    },
    fromServer: (channel, m) => {
      const c = this.connection(channel.type, channel.index);
      if (c) {
        c.fromServer.set(m.type, (c.fromServer.get(m.type) ?? 0) + 1);
        c.lastServerAt = Date.now();
      }
      return undefined;
    },
    fromClient: (channel, m) => {
      const c = this.connection(channel.type, channel.index);
      if (c) {
        c.fromClient.set(m.type, (c.fromClient.get(m.type) ?? 0) + 1);
        c.lastClientAt = Date.now();
      }
      return undefined;
    },
  };

  private connection(type: number, index: number): DisplayConnection | undefined {
    return type === DISPLAY ? this.connections.find((c) => c.index === index) : undefined;
  }

  report(): string {
    const now = Date.now();
    const counts = (m: Map<number, number>): string => [...m].map(([type, n]) => `${type}x${n}`).join(' ') || 'nothing';
    const ago = (t: number): string => (t === 0 ? 'never' : `${now - t} ms ago`);
    return this.connections
      .map((c) => `display connection ${c.index} (linked ${now - c.linkedAt} ms ago): server sent ${counts(c.fromServer)}, last ${ago(c.lastServerAt)}; client sent ${counts(c.fromClient)}, last ${ago(c.lastClientAt)}`)
      .join('\n  ');
  }
}

export async function headWindowsReport(pages: Record<string, Page>, serveLog: string, trace?: DisplayTrace): Promise<string> {
  const parts: string[] = [];
  for (const [name, page] of Object.entries(pages)) {
    try {
      const s = await pageState(page);
      const view = {
        status: s.status,
        statusText: s.statusText,
        head: s.head,
        headRect: s.headRect,
        heads: s.heads,
        headsJoined: s.headsJoined,
        surface: s.surface,
        marks: s.marks,
        frames: s.frames,
        messageErrors: s.messageErrors,
        lastError: s.lastError,
      };
      parts.push(`${name}: ${JSON.stringify(view)}`);
    } catch (e) {
      parts.push(`${name}: no state (${(e as Error).message.split('\n')[0]})`);
    }
  }
  const joins = serveLog.split('\n').filter((line) => JOIN_LINES.test(line));
  parts.push(`gateway: ${joins.length > 0 ? joins.slice(-20).join('\n  ') : '(nothing logged about joining views)'}`);
  if (trace) parts.push(`relay: ${trace.report() || 'no display connection'}`);
  return parts.join('\n');
}
