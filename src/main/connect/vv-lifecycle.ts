// `delete-this-file=1`: management consoles (oVirt, Proxmox VE) hand out .vv files holding a
// one-time password and ask the viewer to remove the file once read, as remote-viewer does;
// VIRT_VIEWER_KEEP_FILE (set to anything) keeps it, again as remote-viewer has it. Only a regular
// file named *.vv that the profile was read from is ever removed: never standard input, a symbolic
// link, a FIFO or a device, whatever the file says.
import { lstat, unlink } from 'node:fs/promises';
import { basename } from 'node:path';
import type { ConnectionProfile } from '../../protocol/profile/types.ts';

/** What the deletion needs of a resolved target: where the profile came from and whether it asks. */
export interface VvOrigin {
  profile: Pick<ConnectionProfile, 'source' | 'deleteThisFile'>;
  /** The .vv file's path, when it was read from one. */
  vvPath?: string;
}

export type VvDeletion = 'not-asked' | 'kept' | 'deleted' | 'refused' | 'failed';

export interface VvLifecycleIo {
  env?: NodeJS.ProcessEnv;
  /** One line for the user when the file was asked to go but stays. */
  warn: (line: string) => void;
}

export async function applyDeleteThisFile(target: VvOrigin, io: VvLifecycleIo): Promise<VvDeletion> {
  const env = io.env ?? process.env;
  if (target.profile.source !== 'vv' || target.profile.deleteThisFile !== true) return 'not-asked';
  const path = target.vvPath;
  if (path === undefined) return 'not-asked'; // standard input: nothing on disk to remove
  if (env.VIRT_VIEWER_KEEP_FILE !== undefined) return 'kept';
  const name = basename(path);
  if (!/\.vv$/i.test(name)) {
    io.warn(`the .vv file asks to be deleted (delete-this-file=1), but "${name}" is not named *.vv; it was left in place`);
    return 'refused';
  }
  try {
    const stat = await lstat(path);
    if (!stat.isFile()) {
      const what = stat.isSymbolicLink() ? 'a symbolic link' : 'not a regular file';
      io.warn(`the .vv file asks to be deleted (delete-this-file=1), but "${name}" is ${what}; it was left in place`);
      return 'refused';
    }
    await unlink(path);
    return 'deleted';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'deleted'; // already gone: what the file asked for
    io.warn(`the .vv file asks to be deleted (delete-this-file=1), but removing "${name}" failed: ${code ?? (e as Error).message}; remove it yourself, it may hold a password`);
    return 'failed';
  }
}
