// The page's folder chooser (kinds 0x50-0x51 host -> page, 0xd0-0xd2 page -> host: the range
// 0x50-0x57 / 0xd0-0xd7 is folder sharing's). FOLDER_STATE says whether the page may choose the
// shared folder, under which root (the host decides: the user's home by default) and what is
// shared now; FOLDER_LIST lists the subfolders of one folder under that root for the browser.
// The page names folders only by paths relative to the root, made of plain names: the codec
// refuses absolute paths, "..", ".", empty names and backslashes, and the host resolves what is
// left against the root again (symbolic links included) before it lists or shares anything.
import { WireWriter } from '../wire/writer.ts';
import { encodeString, FieldReader } from './bridge-fields.ts';
import { HostKind, UiKind } from './kinds.ts';

export const FolderLimits = { maxPathBytes: 4096, maxNameBytes: 255, maxFolders: 1000, maxNoteBytes: 512 } as const;

export interface FolderStateMessage {
  kind: 'folder-state';
  /** The page may choose (false: kiosk, or the host fixed the setting; the chooser is hidden). */
  offered: boolean;
  /** The folder the browser is limited to, as the host shows it ("/home/me"). */
  root: string;
  /** The shared folder as the host shows it; '' when nothing is shared. */
  shared: string;
  readOnly: boolean;
  /** Why the last choice was refused, or what happened; '' for nothing to say. */
  note: string;
}

export interface FolderListMessage {
  kind: 'folder-list';
  /** Relative to the root, names joined by "/"; '' is the root itself. */
  path: string;
  /** The subfolders' names, sorted. */
  folders: string[];
  /** Why the folder could not be listed; '' when it was. */
  note: string;
}

export type FolderHostMessage = FolderStateMessage | FolderListMessage;

export interface FolderBrowseMessage {
  kind: 'folder-browse';
  path: string;
}
export interface FolderShareMessage {
  kind: 'folder-share';
  path: string;
  readOnly: boolean;
}
export interface FolderStopMessage {
  kind: 'folder-stop';
}
export type FolderUiMessage = FolderBrowseMessage | FolderShareMessage | FolderStopMessage;

/** Why a relative folder path from the page is not one ('' when it is fine). */
export function relativePathProblem(path: string): string {
  if (path === '') return '';
  if (path.startsWith('/')) return 'an absolute path';
  if (path.includes('\\')) return 'a backslash in the path';
  if (path.includes('\0')) return 'a NUL in the path';
  for (const name of path.split('/')) {
    if (name === '') return 'an empty name in the path';
    if (name === '.' || name === '..') return `"${name}" in the path`;
  }
  return '';
}

export function encodeFolderHostMessage(m: FolderHostMessage): Uint8Array {
  if (m.kind === 'folder-state') {
    return new WireWriter(64)
      .u8(HostKind.FOLDER_STATE)
      .u8((m.offered ? 1 : 0) | (m.readOnly ? 2 : 0))
      .bytes(encodeString(m.root, FolderLimits.maxPathBytes))
      .bytes(encodeString(m.shared, FolderLimits.maxPathBytes))
      .bytes(encodeString(m.note, FolderLimits.maxNoteBytes))
      .finish();
  }
  const folders = m.folders.slice(0, FolderLimits.maxFolders);
  const w = new WireWriter(256).u8(HostKind.FOLDER_LIST).bytes(encodeString(m.path, FolderLimits.maxPathBytes)).u16(folders.length);
  for (const f of folders) w.bytes(encodeString(f, FolderLimits.maxNameBytes));
  return w.bytes(encodeString(m.note, FolderLimits.maxNoteBytes)).finish();
}

/** Null when the kind is not this file's; a BridgeError for a malformed message. */
export function decodeFolderHostMessage(bytes: Uint8Array): FolderHostMessage | null {
  if (bytes[0] === HostKind.FOLDER_STATE) {
    const r = new FieldReader(bytes, 'host', 'FOLDER_STATE');
    const flags = r.u8('flags');
    if (flags > 3) r.fail(`unknown flags ${flags}`);
    const root = r.string('root', FolderLimits.maxPathBytes);
    const shared = r.string('shared', FolderLimits.maxPathBytes);
    const note = r.string('note', FolderLimits.maxNoteBytes);
    r.end();
    return { kind: 'folder-state', offered: (flags & 1) !== 0, readOnly: (flags & 2) !== 0, root, shared, note };
  }
  if (bytes[0] === HostKind.FOLDER_LIST) {
    const r = new FieldReader(bytes, 'host', 'FOLDER_LIST');
    const path = r.string('path', FolderLimits.maxPathBytes);
    const n = r.range(r.u16('folders'), 'folders', 0, FolderLimits.maxFolders);
    const folders: string[] = [];
    for (let i = 0; i < n; i++) folders.push(r.string('folder', FolderLimits.maxNameBytes));
    const note = r.string('note', FolderLimits.maxNoteBytes);
    r.end();
    return { kind: 'folder-list', path, folders, note };
  }
  return null;
}

export function encodeFolderUiMessage(m: FolderUiMessage): Uint8Array {
  switch (m.kind) {
    case 'folder-browse':
      return new WireWriter(16).u8(UiKind.FOLDER_BROWSE).bytes(encodeString(m.path, FolderLimits.maxPathBytes)).finish();
    case 'folder-share':
      return new WireWriter(16).u8(UiKind.FOLDER_SHARE).u8(m.readOnly ? 1 : 0).bytes(encodeString(m.path, FolderLimits.maxPathBytes)).finish();
    case 'folder-stop':
      return new Uint8Array([UiKind.FOLDER_STOP]);
  }
}

export function decodeFolderUiMessage(kind: number, r: FieldReader): FolderUiMessage | null {
  const path = (): string => {
    const p = r.string('path', FolderLimits.maxPathBytes);
    const problem = relativePathProblem(p);
    if (problem) r.fail(`${problem}: folders are named relative to the shared root`);
    return p;
  };
  switch (kind) {
    case UiKind.FOLDER_BROWSE:
      return { kind: 'folder-browse', path: path() };
    case UiKind.FOLDER_SHARE: {
      const readOnly = r.range(r.u8('readOnly'), 'readOnly', 0, 1) === 1;
      return { kind: 'folder-share', path: path(), readOnly };
    }
    case UiKind.FOLDER_STOP:
      return { kind: 'folder-stop' };
    default:
      return null;
  }
}
