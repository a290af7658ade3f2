// The page's first script (index.html loads it before main.js, as boot.js): it only starts the
// decode worker (early-worker.ts), so that the worker loads while main.js is fetched and run. Kept
// this small on purpose: anything it imports delays the worker's start.
import { startEarlyWorker } from './early-worker.ts';

startEarlyWorker();
