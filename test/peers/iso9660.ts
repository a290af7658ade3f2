// A minimal ISO 9660 image writer for the shared-CD tests (no genisoimage/xorriso on these
// machines): one primary volume descriptor, the terminator, both path tables and a root directory
// of plain files (8.3 upper-case names; Linux's isofs shows them lower-case without ";1").
//
//   writeFileSync(path, isoImage('SPICEDESK', [{ name: 'HELLO.TXT', data }]));

const SECTOR = 2048;

const both16 = (v: number): number[] => [v & 0xff, v >> 8, v >> 8, v & 0xff];
const both32 = (v: number): number[] => {
  const le = [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
  return [...le, ...[...le].reverse()];
};
const chars = (text: string, width: number): number[] => Array.from(text.padEnd(width).slice(0, width), (c) => c.charCodeAt(0));
/** 7-byte directory record date: 2026-01-02 03:04:05 UTC. */
const RECORD_DATE = [126, 1, 2, 3, 4, 5, 0];
/** 17-byte volume descriptor date. */
const VOLUME_DATE = [...chars('2026010203040500', 16), 0];

function directoryRecord(name: number[], extent: number, length: number, directory: boolean): number[] {
  const size = 33 + name.length + (name.length % 2 === 0 ? 1 : 0);
  const record = [size, 0, ...both32(extent), ...both32(length), ...RECORD_DATE, directory ? 2 : 0, 0, 0, ...both16(1), name.length, ...name];
  while (record.length < size) record.push(0);
  return record;
}

export interface IsoFile {
  /** 8.3, upper case, e.g. "HELLO.TXT". */
  name: string;
  data: Uint8Array;
}

export function isoImage(volumeId: string, files: IsoFile[]): Uint8Array {
  const PVD = 16;
  const PATH_L = 18;
  const PATH_M = 19;
  const ROOT = 20;
  let next = ROOT + 1;
  const placed = files.map((f) => {
    const extent = next;
    next += Math.max(1, Math.ceil(f.data.length / SECTOR));
    return { ...f, extent };
  });
  const image = new Uint8Array(next * SECTOR);
  const put = (sector: number, bytes: number[] | Uint8Array, offset = 0): void => image.set(bytes, sector * SECTOR + offset);

  const rootRecord = directoryRecord([0], ROOT, SECTOR, true);
  const pvd = [
    1, ...chars('CD001', 5), 1, 0, ...chars('LINUX', 32), ...chars(volumeId, 32), ...new Array(8).fill(0),
    ...both32(next), ...new Array(32).fill(0), ...both16(1), ...both16(1), ...both16(SECTOR),
    ...both32(10), PATH_L, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, PATH_M, 0, 0, 0, 0,
    ...rootRecord,
    ...chars('', 128), ...chars('', 128), ...chars('', 128), ...chars('SPICEDESK TESTS', 128),
    ...chars('', 37), ...chars('', 37), ...chars('', 37),
    ...VOLUME_DATE, ...VOLUME_DATE, ...chars('0000000000000000', 16), 0, ...VOLUME_DATE, 1, 0,
  ];
  put(PVD, pvd);
  put(PVD + 1, [255, ...chars('CD001', 5), 1]);
  put(PATH_L, [1, 0, ROOT, 0, 0, 0, 1, 0, 0, 0]);
  put(PATH_M, [1, 0, 0, 0, 0, ROOT, 0, 1, 0, 0]);
  const records = [
    ...directoryRecord([0], ROOT, SECTOR, true),
    ...directoryRecord([1], ROOT, SECTOR, true),
    ...placed.flatMap((f) => directoryRecord(chars(`${f.name};1`, f.name.length + 2), f.extent, f.data.length, false)),
  ];
  if (records.length > SECTOR) throw new Error('isoImage: too many files for a one-sector root directory');
  put(ROOT, records);
  for (const f of placed) put(f.extent, f.data);
  return image;
}
