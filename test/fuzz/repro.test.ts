import { readFileSync } from 'node:fs';
import { it } from 'vitest';
import { targetNamed } from './targets/target-table.ts';
import { splitMessages } from './harness/mutate.ts';
it('repro', async () => {
  for (const f of ['display--d9a1c853c9.bin', 'display--dc77552478.bin']) {
    const b = new Uint8Array(readFileSync('/work/wt-fuzz/test/fuzz/fixtures/' + f));
    console.log(f, splitMessages(b)?.map((m) => `${m.type}:${m.body.byteLength}`).join(' '));
    const t0 = performance.now();
    try { await targetNamed('display').run(b); console.log('ok', performance.now() - t0); } catch (e) { console.log((e as Error).stack, performance.now() - t0); }
  }
}, 60000);
