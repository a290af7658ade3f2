// The "newc" cpio format the kernel unpacks as an initramfs (the kernel's
// Documentation/driver-api/early-userspace/buffer-format.rst): a 110-byte ASCII header of hex
// fields, the NUL-terminated name, then the data, each padded to 4 bytes; "TRAILER!!!" ends it.
// Written here rather than with cpio(1) so that the image builder needs one package less and
// its output is the same bytes for the same inputs (no host uid, inode or time in it).

export type CpioEntry =
  | { kind: 'dir'; path: string; mode?: number }
  | { kind: 'file'; path: string; data: Uint8Array; mode?: number }
  | { kind: 'symlink'; path: string; target: string };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;

function hex8(value: number): string {
  return value.toString(16).padStart(8, '0');
}

function padTo4(length: number): number {
  return (4 - (length % 4)) % 4;
}

function record(chunks: Buffer[], ino: number, mode: number, name: string, data: Uint8Array, nlink: number): void {
  const nameBytes = Buffer.from(`${name}\0`, 'utf8');
  const header = [
    '070701', hex8(ino), hex8(mode), hex8(0), hex8(0), hex8(nlink), hex8(0), hex8(data.length),
    hex8(0), hex8(0), hex8(0), hex8(0), hex8(nameBytes.length), hex8(0),
  ].join('');
  chunks.push(Buffer.from(header, 'ascii'), nameBytes, Buffer.alloc(padTo4(110 + nameBytes.length)));
  chunks.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength), Buffer.alloc(padTo4(data.length)));
}

/**
 * The archive of these entries. Paths are absolute or relative to the root; every parent folder
 * is added before its children (the kernel's unpacker does not create missing parents).
 */
export function cpioNewc(entries: readonly CpioEntry[]): Buffer {
  const byPath = new Map<string, CpioEntry>();
  for (const entry of entries) {
    const path = normalise(entry.path);
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      if (!byPath.has(parent)) byPath.set(parent, { kind: 'dir', path: parent });
      else if (byPath.get(parent)?.kind !== 'dir') throw new Error(`cpio: ${parent} is both a file and the folder of ${path}`);
    }
    const existing = byPath.get(path);
    if (existing && !(existing.kind === 'dir' && entry.kind === 'dir')) {
      if (existing.kind === 'dir' || entry.kind === 'dir') throw new Error(`cpio: ${path} is both a file and a folder`);
    }
    byPath.set(path, { ...entry, path });
  }
  // Sorted paths put every folder before what it holds ("a" < "a/b").
  const paths = [...byPath.keys()].sort();
  const chunks: Buffer[] = [];
  let ino = 1;
  for (const path of paths) {
    const entry = byPath.get(path)!;
    if (entry.kind === 'dir') record(chunks, ino++, S_IFDIR | (entry.mode ?? 0o755), path, new Uint8Array(0), 2);
    else if (entry.kind === 'file') record(chunks, ino++, S_IFREG | (entry.mode ?? 0o644), path, entry.data, 1);
    else record(chunks, ino++, S_IFLNK | 0o777, path, Buffer.from(entry.target, 'utf8'), 1);
  }
  record(chunks, 0, 0, 'TRAILER!!!', new Uint8Array(0), 1);
  return Buffer.concat(chunks);
}

function normalise(path: string): string {
  const parts = path.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.length === 0 || parts.includes('..')) throw new Error(`cpio: bad path ${JSON.stringify(path)}`);
  return parts.join('/');
}
