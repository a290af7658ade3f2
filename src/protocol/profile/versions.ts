// The .vv `versions` key (`os-id:version;...`) read for one client: which entry applies to it, and
// whether its version is new enough. virt-viewer looks up its own build's OS id and compares
// "major.minor.micro[-release]" numerically, part by part; spicedesk does the same with its own ids,
// because the other ids (rhev-win64, rhel8, ...) carry remote-viewer's version numbers, not ours.
import type { ConnectionProfile } from './types.ts';

/** A version as numbers: [1, 2, 0] for "1.2.0", plus the release after a dash, if any. */
export interface ParsedVersion {
  parts: number[];
  release: number[];
}

const VERSION = /^(\d{1,9}(?:\.\d{1,9})*)(?:-(\d{1,9}(?:\.\d{1,9})*))?$/;

/** Undefined for anything but digits and dots with an optional numeric release ("2.0-160"). */
export function parseVersion(text: string): ParsedVersion | undefined {
  const m = VERSION.exec(text.trim());
  if (!m) return undefined;
  const nums = (s: string | undefined): number[] => (s === undefined ? [] : s.split('.').map(Number));
  return { parts: nums(m[1]), release: nums(m[2]) };
}

function compareParts(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    // A missing part counts as lower: 1.2 < 1.2.0, as in virt-viewer.
    if (a[i] === undefined) return -1;
    if (b[i] === undefined) return 1;
    if (a[i] !== b[i]) return (a[i] as number) < (b[i] as number) ? -1 : 1;
  }
  return 0;
}

/** Negative when a < b, zero when equal, positive when a > b; the release breaks ties. */
export function compareVersions(a: ParsedVersion, b: ParsedVersion): number {
  const main = compareParts(a.parts, b.parts);
  if (main !== 0) return main;
  if (a.release.length === 0 && b.release.length === 0) return 0;
  return compareParts(a.release, b.release);
}

export interface VersionRequirement {
  /** The OS id whose entry applies, e.g. "spicedesk-linux". */
  id: string;
  /** The minimum version as written in the file. */
  minimum: string;
}

/**
 * The entry of `versions` that applies to a client known by `ids` (most specific first), and the
 * ids that were passed over because they belong to other clients.
 */
export function versionRequirement(
  profile: Pick<ConnectionProfile, 'versions'>,
  ids: readonly string[],
): { requirement?: VersionRequirement; otherIds: string[] } {
  const versions = profile.versions ?? {};
  const id = ids.find((candidate) => Object.hasOwn(versions, candidate));
  const otherIds = Object.keys(versions).filter((key) => !ids.includes(key));
  return { requirement: id === undefined ? undefined : { id, minimum: versions[id] as string }, otherIds };
}
