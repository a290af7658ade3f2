// Recorded server traffic, the fuzzer's most realistic seeds: test/fuzz/traffic/<server>-<channel>.bin.gz
// holds what one real server sent on one channel after the link (its messages with mini headers,
// as the channel reads them), gzipped. test/fuzz/record-traffic.ts records them again.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { trafficDir } from '../harness/paths.ts';


/** The recorded streams of one channel ('display', 'main', 'cursor', 'inputs', 'playback'...). */
export function recordedTraffic(channel: string): Uint8Array[] {
  let names: string[];
  try {
    names = readdirSync(trafficDir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.endsWith(`-${channel}.bin.gz`))
    .sort()
    .map((n) => new Uint8Array(gunzipSync(readFileSync(join(trafficDir, n)))));
}
