// The gateway's access token: 256 random bits in every URL it serves. Anyone who can reach the
// port but was not given the printed URL gets nothing, not even the page.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export class AccessToken {
  readonly value: string;
  private readonly digest: Buffer;

  constructor(value = randomBytes(32).toString('base64url')) {
    this.value = value;
    this.digest = sha256(value);
  }

  /**
   * Constant-time comparison. Both sides are hashed first, so the time does not depend on where
   * the strings differ, nor on the candidate's length (timingSafeEqual needs equal lengths).
   */
  matches(candidate: string): boolean {
    return timingSafeEqual(sha256(candidate), this.digest);
  }
}

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
