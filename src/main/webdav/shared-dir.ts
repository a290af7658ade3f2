// The shared folder setting (--spice-shared-dir DIR, --spice-shared-dir-ro), checked before
// connecting, and the port handlers' context that serves it.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { PortContext } from '../../protocol/channels/port/port-handler.ts';
import type { Logger } from '../../protocol/logger.ts';
import { SpiceError } from '../../protocol/wire/errors.ts';
import { createWebdavServer } from './webdav-server.ts';

export interface SharedDirSetting {
  dir: string;
  readOnly: boolean;
}

/** The setting from the command line; a usage error when the folder is not one, or -ro comes alone. */
export function sharedDirOf(values: { spiceSharedDir?: string; spiceSharedDirRo?: boolean }): SharedDirSetting | undefined {
  if (values.spiceSharedDir === undefined) {
    if (values.spiceSharedDirRo) throw new SpiceError('usage', '--spice-shared-dir-ro needs --spice-shared-dir DIR');
    return undefined;
  }
  const dir = resolve(values.spiceSharedDir);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (e) {
    throw new SpiceError('usage', `--spice-shared-dir ${values.spiceSharedDir}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such folder' : (e as Error).message}`);
  }
  if (!isDir) throw new SpiceError('usage', `--spice-shared-dir ${values.spiceSharedDir} is not a folder`);
  return { dir, readOnly: Boolean(values.spiceSharedDirRo) };
}

/** What a session's port handlers get: the WebDAV server on the folder, or nothing (not shared). */
export function sharedDirPorts(setting: SharedDirSetting | undefined, logger: Logger): PortContext {
  return setting ? { webdav: createWebdavServer({ root: setting.dir, readOnly: setting.readOnly, logger }) } : {};
}
