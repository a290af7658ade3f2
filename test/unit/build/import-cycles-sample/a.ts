// Sample for import-cycles.test.ts: one import of each kind the scanner must see.
import type { B } from './b.ts';
export { c } from './c.ts';
export * from './d.ts';
export const b: B | null = null;
export const later = (): Promise<unknown> => import('./e.ts');
