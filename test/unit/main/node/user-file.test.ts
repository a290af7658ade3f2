import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readUserFile, UserFileProblem } from '../../../../src/main/node/user-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'spicedesk-user-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function problem(path: string, maxBytes = 1024): UserFileProblem {
  try {
    readUserFile(path, maxBytes);
  } catch (e) {
    expect(e).toBeInstanceOf(UserFileProblem);
    return e as UserFileProblem;
  }
  throw new Error(`${path} was read`);
}

describe('readUserFile', () => {
  it('reads a regular file up to the cap', () => {
    const file = join(dir, 'ok.txt');
    writeFileSync(file, 'x'.repeat(1024));
    expect(readUserFile(file, 1024).byteLength).toBe(1024);
  });

  it('refuses a larger file with its size, without reading it', () => {
    const file = join(dir, 'big.txt');
    writeFileSync(file, 'x'.repeat(1025));
    const p = problem(file);
    expect(p.size).toBe(1025);
    expect(p.reason).toBe('is 1025 bytes; at most 1024 bytes are read');
  });

  it('refuses a FIFO at once instead of waiting for a writer', () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    expect(problem(fifo).reason).toBe('is a FIFO (named pipe), not a file');
  });

  it('refuses /dev/zero instead of reading it for ever', () => {
    expect(problem('/dev/zero').reason).toBe('is a character device, not a file');
  });

  it('names a directory and a missing path with their codes', () => {
    expect(problem(dir)).toMatchObject({ reason: 'is a directory, not a file', code: 'EISDIR' });
    expect(problem(join(dir, 'nope'))).toMatchObject({ reason: 'does not exist', code: 'ENOENT' });
  });
});
