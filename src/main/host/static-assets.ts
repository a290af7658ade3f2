// The renderer's built files (dist/renderer), read into memory once at start. A request can only
// name one of these by its exact file name: there is no path resolution, so no traversal, no
// directory listing and nothing outside the folder, whatever the URL says.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SpiceError } from '../../protocol/wire/errors.ts';

export interface Asset {
  body: Buffer;
  contentType: string;
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** The page the gateway serves at the token's root. */
export const INDEX_FILE = 'index.html';

export function loadAssets(dir: string): Map<string, Asset> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new SpiceError('internal', `cannot read the renderer's files in ${dir} (${(e as Error).message}); run \`npm run build\` in the checkout`);
  }
  const assets = new Map<string, Asset>();
  for (const name of names) {
    const ext = name.slice(name.lastIndexOf('.'));
    const contentType = contentTypes[ext];
    const path = join(dir, name);
    if (!contentType || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) || !statSync(path).isFile()) continue;
    assets.set(name, { body: readFileSync(path), contentType });
  }
  if (!assets.has(INDEX_FILE)) throw new SpiceError('internal', `${join(dir, INDEX_FILE)} is missing; run \`npm run build\` in the checkout`);
  return assets;
}
