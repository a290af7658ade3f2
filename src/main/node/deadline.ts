// One overall time limit shared by the stages of a piece of work (a command, a page's SPICE link):
// each stage races the time that is left, and says on expiry which stage it was stuck in.
import type { SpiceError } from '../../protocol/wire/errors.ts';

/** One overall time limit, shared by its stages. */
export class Deadline {
  readonly at: number;
  constructor(ms: number) {
    this.at = Date.now() + ms;
  }
  /** Races `p` against the deadline; on expiry throws `onTimeout()`. */
  race<T>(p: Promise<T>, onTimeout: () => SpiceError): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(onTimeout()), Math.max(0, this.at - Date.now()));
      p.then(
        (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        (e) => {
          clearTimeout(timer);
          reject(e);
        },
      );
    });
  }
}
