// One-time launch links for `serve --open` and `open` without Electron. The browser is started with
// a URL on its command line, where every local user can read it (`ps`, /proc/PID/cmdline): so that
// URL holds no access token, only a code that is good once and for a few seconds. The gateway
// answers it with a redirect to the page's token URL (the Location header is not on any command
// line), and every later use of the code gets a page saying it was used or is out of date.
import { createHash, randomBytes } from 'node:crypto';

/** How long a launch link is good for: long enough for a cold browser to start. */
export const LAUNCH_CODE_TTL_MS = 20_000;
/** Codes remembered (to tell "used" and "expired" apart from "unknown"); the host issues few. */
const REMEMBERED_CODES = 32;

export type LaunchOutcome = 'ok' | 'used' | 'expired' | 'unknown';

interface Issued {
  expiresAt: number;
  used: boolean;
}

export class LaunchCodes {
  /** By the code's SHA-256, so that the lookup's timing says nothing about the code itself. */
  private readonly codes = new Map<string, Issued>();

  constructor(
    readonly ttlMs = LAUNCH_CODE_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** A fresh code: 128 random bits, URL-safe. */
  issue(): string {
    const code = randomBytes(16).toString('base64url');
    this.codes.set(digest(code), { expiresAt: this.now() + this.ttlMs, used: false });
    while (this.codes.size > REMEMBERED_CODES) this.codes.delete(this.codes.keys().next().value as string);
    return code;
  }

  /** Uses up a code: 'ok' once, within its time; after that, why not. */
  redeem(code: string): LaunchOutcome {
    const issued = this.codes.get(digest(code));
    if (!issued) return 'unknown';
    if (issued.used) return 'used';
    if (this.now() > issued.expiresAt) return 'expired';
    issued.used = true;
    return 'ok';
  }
}

const digest = (code: string): string => createHash('sha256').update(code, 'utf8').digest('hex');
