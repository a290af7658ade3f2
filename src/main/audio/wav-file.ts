// A WAV file written as the sound comes: samples appended to a temporary file beside the target,
// the header's sizes patched at the end, then renamed over the target. An interrupted run leaves
// at most the temporary file, never a broken FILE.wav in place of a good one.
import { closeSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { s16Bytes } from '../../protocol/audio/pcm.ts';
import { WAV_HEADER_SIZE, wavHeader } from '../../protocol/audio/wav.ts';

export class WavFileWriter {
  readonly tempPath: string;
  private fd: number | null;
  /** Frames (samples per channel) written so far. */
  frames = 0;

  constructor(
    readonly path: string,
    readonly channels: number,
    readonly frequency: number,
  ) {
    this.tempPath = join(dirname(path), `.${basename(path)}.${process.pid}.part`);
    this.fd = openSync(this.tempPath, 'w');
    writeSync(this.fd, wavHeader(channels, frequency, 0));
  }

  /** Appends interleaved S16 in the file's channels. */
  append(pcm: Int16Array): void {
    if (this.fd === null || pcm.length === 0) return;
    writeSync(this.fd, s16Bytes(pcm));
    this.frames += pcm.length / this.channels;
  }

  get seconds(): number {
    return this.frames / this.frequency;
  }

  /** Patches the header with the sizes, closes, and renames the file into place. */
  finish(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    try {
      writeSync(fd, wavHeader(this.channels, this.frequency, this.frames * this.channels * 2), 0, WAV_HEADER_SIZE, 0);
    } finally {
      closeSync(fd);
    }
    renameSync(this.tempPath, this.path);
  }

  /** Closes and removes the temporary file; the target is left as it was. */
  abort(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
    try {
      unlinkSync(this.tempPath);
    } catch {
      // already gone
    }
  }
}
