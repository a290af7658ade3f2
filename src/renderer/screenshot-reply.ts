// In the Electron window, main asks the page for the screen's pixels when the user saves a
// screenshot (src/main/electron/session-window.ts); the preload passes the request and the answer.
import type { PagePart } from './page-parts.ts';

export const screenshotReplyPart: PagePart = {
  name: 'screenshot-reply',
  applies: (context) => context.electron,
  mount(page) {
    const host = page.electron;
    host?.onScreenshotRequest((id) => {
      page.readPixels().then(
        (p) => {
          if (p && p.width > 0 && p.height > 0) host.screenshotReply(id, p.width, p.height, p.rgba);
          else host.screenshotFailed(id, 'nothing is on the screen yet');
        },
        (e: unknown) => host.screenshotFailed(id, e instanceof Error ? e.message : String(e)),
      );
    });
    return {};
  },
};
