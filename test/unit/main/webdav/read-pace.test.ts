// A GET reads on the main thread only while its file's reads come back from the page cache: a slow
// read (a cold file, a slow disk, a network file system) would hold every channel's display and
// input for as long as the disk takes.
import { describe, expect, it } from 'vitest';
import { FAST_READ_MS, ReadPace } from '../../../../src/main/webdav/file-sender.ts';

describe('ReadPace', () => {
  it('starts in the thread pool, goes to the main thread after a fast read', () => {
    const pace = new ReadPace();
    expect(pace.sync).toBe(false);
    pace.took(0.3);
    expect(pace.sync).toBe(true);
    pace.took(FAST_READ_MS);
    expect(pace.sync).toBe(true);
  });

  it('goes back to the thread pool for good after one slow read', () => {
    const pace = new ReadPace();
    pace.took(0.2);
    pace.took(FAST_READ_MS + 0.5);
    expect(pace.sync).toBe(false);
    pace.took(0.1);
    expect(pace.sync).toBe(false);
  });

  it('never reads on the main thread when the first read was slow', () => {
    const pace = new ReadPace();
    pace.took(40);
    pace.took(0.1);
    expect(pace.sync).toBe(false);
  });
});
