// The interactive bench's key-tap breakdown (through the SPICE relay: in, server, out) for
// spicedesk's page and its variant (BENCH_SPICEDESK_VARIANT...) only, alternating, a few sessions
// each: a before/after of a change to the page's key path without the other clients' rounds.
//   npx esbuild test/bench/key-breakdown-ab.ts --bundle --platform=node --format=esm --packages=external \
//     --outfile=dist/key-breakdown-ab.js && BENCH_SPICEDESK_VARIANT='bridge=page' node dist/key-breakdown-ab.js [--sessions 2]
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { measureBreakdown, startBenchDesktop } from './interactive-bench.ts';

const { values } = parseArgs({ options: { sessions: { type: 'string', default: '2' } } });
const desktop = await startBenchDesktop(resolve('.'));
try {
  for (let i = 0; i < Number(values.sessions); i++) {
    for (const client of i % 2 === 0 ? (['spicedesk', 'spicedesk-variant'] as const) : (['spicedesk-variant', 'spicedesk'] as const)) {
      const b = await measureBreakdown(desktop.env, client);
      console.log(`${client} session ${i + 1}: ${b.taps} taps, medians ms: in ${b.inputMs.toFixed(2)}, server ${b.serverMs.toFixed(2)}, out ${b.displayMs.toFixed(2)}, total ${b.totalMs.toFixed(2)}`);
    }
  }
} finally {
  await desktop.stop();
}
