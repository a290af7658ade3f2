// The page's entry (index.html loads it as main.js): the session page (page.ts) with the parts of
// page-part-table.ts, its bridge opened, and its test hooks on the window.
import { startMark } from './start-marks.ts';
import { electronHost } from './bridge-socket.ts';
import { SessionPage } from './page.ts';
import { PAGE_PARTS } from './page-part-table.ts';

// main.js fetched, parsed and its modules evaluated.
startMark('main-start');

const byId = <T extends HTMLElement>(id: string): T => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`the page has no #${id}`);
  return e as T;
};

const page = new SessionPage({ options: new URLSearchParams(location.hash.slice(1)), electron: electronHost(), byId, parts: PAGE_PARTS });
page.start();
startMark('page-started');

/** For tests and screenshots: read-only views of the page's state (test/e2e/page-api.ts types them). */
(window as unknown as { spicedeskPage: object }).spicedeskPage = page.testHooks();
