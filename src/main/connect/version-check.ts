// The .vv minimum-version gate, as remote-viewer has it: when the file's `versions` key names a
// minimum for this client and this build is older, refuse to connect and say which version is
// needed and where to get it (`newer-version-url`). spicedesk answers to "spicedesk-<os>" (linux,
// windows, macos) first and then to "spicedesk"; every other id, and the single `version` key,
// are remote-viewer's numbers and are ignored (with a debug line saying so).
import type { Logger } from '../../protocol/logger.ts';
import type { ConnectionProfile } from '../../protocol/profile/index.ts';
import { compareVersions, parseVersion, versionRequirement } from '../../protocol/profile/versions.ts';
import { SpiceError } from '../../protocol/wire/errors.ts';

/** This build's version; the unit tests check that it is package.json's. */
export const SPICEDESK_VERSION = '0.1.0';

const OS_NAMES: Partial<Record<NodeJS.Platform, string>> = { linux: 'linux', win32: 'windows', darwin: 'macos' };

/** The ids this client answers to in a .vv `versions` key, most specific first. */
export function clientVersionIds(platform: NodeJS.Platform = process.platform): string[] {
  return [`spicedesk-${OS_NAMES[platform] ?? platform}`, 'spicedesk'];
}

export interface VersionCheckOptions {
  version?: string;
  platform?: NodeJS.Platform;
  logger?: Logger;
}

/** Throws a 'usage' error (exit 2) when the profile asks for a newer spicedesk than this one. */
export function checkClientVersion(profile: ConnectionProfile, o: VersionCheckOptions = {}): void {
  const ids = clientVersionIds(o.platform);
  const { requirement, otherIds } = versionRequirement(profile, ids);
  if (otherIds.length > 0) {
    o.logger?.debug({ ids: otherIds }, `minimum versions for other clients ignored (spicedesk reads ${ids.join(', ')})`);
  }
  if (profile.version !== undefined) {
    o.logger?.debug({ version: profile.version }, 'the "version" key is the minimum remote-viewer version; ignored');
  }
  if (!requirement) return;
  const own = o.version ?? SPICEDESK_VERSION;
  const minimum = parseVersion(requirement.minimum);
  if (!minimum) {
    throw new SpiceError(
      'usage',
      `the connection file asks for spicedesk version "${requirement.minimum}" (versions=${requirement.id}:...), which is not a version such as 1.2 or 1.2.0-3; ask whoever made the file to fix it`,
    );
  }
  const current = parseVersion(own);
  if (!current || compareVersions(current, minimum) >= 0) return;
  const url = safeUrl(profile.newerVersionUrl);
  const where = url ? `; see ${url} for details` : profile.newerVersionUrl !== undefined ? ' (the file\'s newer-version-url is not an http(s) URL, so it is not shown)' : '';
  throw new SpiceError('usage', `at least spicedesk version ${requirement.minimum} is required to set up this connection (this is ${own}; the file asks for it with versions=${requirement.id}:${requirement.minimum})${where}`);
}

/** Only an http(s) URL is shown: the file is not trusted to put arbitrary text in front of the user. */
function safeUrl(value: string | undefined): string | undefined {
  if (value === undefined || value.length > 2048) return undefined;
  try {
    const u = new URL(value.trim());
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : undefined;
  } catch {
    return undefined;
  }
}
