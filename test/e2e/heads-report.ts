// What the windows of a several-heads session showed, and what the gateway logged about the views
// that joined it, for the message of a test that timed out waiting on a head window: a flake there
// (seen once in a loaded full run, never reproduced since) must say which side lost what.
import type { Page } from 'playwright-core';
import { pageState } from './page-api.ts';

/** The gateway's log lines (serve -v) about views joining and the channels linked again for them. */
const JOIN_LINES = /asked the server for video codecs|joins the session|left the session|linked again|could not be linked|relinked channel failed|joining view|reconnect|session lost|channel failed/;

export async function headWindowsReport(pages: Record<string, Page>, serveLog: string): Promise<string> {
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
  return parts.join('\n');
}
