// Import layers of docs/architecture.md ("Import rules and how they are enforced"), enforced as errors (VS Code's layer checks).
import path from 'node:path';
import tseslint from 'typescript-eslint';
import { importGraph, importPath, importsOfSource, resolveImport } from './scripts/import-graph.mjs';

const root = path.dirname(new URL(import.meta.url).pathname);

/** Which layer a file belongs to, by its resolved path. */
function layerOf(file) {
  const rel = path.relative(root, file).split(path.sep).join('/');
  for (const layer of ['src/protocol', 'src/main', 'src/renderer', 'test']) {
    if (rel === layer || rel.startsWith(layer + '/')) return layer;
  }
  return null;
}

const forbiddenLayers = {
  'src/protocol': ['src/main', 'src/renderer', 'test'],
  'src/main': ['src/renderer', 'test'],
  'src/renderer': ['src/main', 'test'],
};

// Inside each layer, its folders stand in levels, lowest first. A file may import its own folder
// and the folders of lower levels only: never a higher level, never another folder of its own
// level. So a cycle between folders is a lint error, and a new folder must be given its level
// here. '' is the layer's own root files; channels/<name> are separate folders of one level.
export const folderLevels = {
  'src/protocol': [
    ['', 'wire'],
    ['pixels', 'input', 'profile', 'link', 'audio'],
    ['codecs', 'canvas', 'channel', 'usbredir'],
    ['channels/spicevmc'],
    ['channels', 'channels/cursor', 'channels/display', 'channels/inputs', 'channels/main', 'channels/playback', 'channels/record', 'channels/port', 'channels/usbredir'],
    ['display'],
    ['session'],
    ['monitors', 'policy'],
    ['bridge'],
  ],
  'src/main': [
    ['node', 'demo'],
    ['transport', 'clipboard', 'display-worker', 'video', 'audio', 'webdav', 'usb', 'printing'],
    ['connect'],
    ['reconnect', 'monitors'],
    ['host'],
    ['gateway', 'electron'],
    ['commands'],
    [''],
  ],
  'src/renderer': [
    ['present', 'input', 'video', 'audio'],
    [''],
  ],
};

/** The folder of a file inside its layer ('' for the layer's root files), as folderLevels names it. */
function folderOf(layer, file) {
  const rel = path.relative(path.join(root, layer), file).split(path.sep).join('/');
  const parts = rel.split('/');
  if (parts.length === 1) return '';
  if (parts[0] === 'channels' && parts.length > 2) return `channels/${parts[1]}`;
  return parts[0];
}

function levelOf(layer, folder) {
  const levels = folderLevels[layer];
  if (!levels) return undefined;
  const level = levels.findIndex((folders) => folders.includes(folder));
  return level < 0 ? null : level;
}

/** Why an import from one folder to another inside a layer is not allowed, or null when it is. */
function folderBreach(layer, fromFile, toFile) {
  const from = folderOf(layer, fromFile);
  const to = folderOf(layer, toFile);
  if (from === to) return null;
  const name = (folder) => (folder === '' ? `${layer}/*.ts` : `${layer}/${folder}`);
  const fromLevel = levelOf(layer, from);
  const toLevel = levelOf(layer, to);
  if (fromLevel === undefined) return null;
  if (fromLevel === null) return `${name(from)} has no level in folderLevels (eslint.config.js): give it one`;
  if (toLevel === null) return `${name(to)} has no level in folderLevels (eslint.config.js): give it one`;
  if (toLevel < fromLevel) return null;
  const why = toLevel === fromLevel ? 'a folder of the same level' : 'a higher level';
  return `${name(from)} must not import ${name(to)}: ${why} (see the folder levels in docs/architecture.md)`;
}

// Relative imports are checked by where they resolve, not by their text: "../main/x" is the main
// channel's folder inside src/protocol, not the src/main layer.
const layersPlugin = {
  rules: {
    'no-cross-layer': {
      meta: { type: 'problem', schema: [] },
      create(context) {
        const from = layerOf(context.filename);
        const forbidden = forbiddenLayers[from] ?? [];
        const check = (node) => {
          const spec = node.source?.value;
          if (typeof spec !== 'string' || !spec.startsWith('.')) return;
          const target = path.resolve(path.dirname(context.filename), spec);
          const to = layerOf(target);
          if (to && forbidden.includes(to)) {
            context.report({ node: node.source, message: `${from} must not import ${to} (see docs/architecture.md)` });
          } else if (to && to === from) {
            const breach = folderBreach(from, path.resolve(context.filename), target);
            if (breach) context.report({ node: node.source, message: breach });
          }
        };
        return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check };
      },
    },
    // A cycle inside one folder passes the folder levels; this finds every cycle through src/.
    'no-import-cycle': {
      meta: { type: 'problem', schema: [] },
      create(context) {
        const layer = layerOf(context.filename);
        if (!layer || layer === 'test') return {};
        const file = path.resolve(context.filename);
        // The files on disk, with this file's imports as it is now (an editor's unsaved text).
        const graph = new Map(srcGraph());
        graph.set(file, importsOfSource(file, context.sourceCode.text));
        const check = (node) => {
          const spec = node.source?.value;
          if (typeof spec !== 'string' || !spec.startsWith('.')) return;
          const chain = importPath(graph, resolveImport(file, spec), file);
          if (!chain) return;
          const shown = [file, ...chain].map((f) => path.relative(root, f).split(path.sep).join('/'));
          context.report({ node: node.source, message: `import cycle: ${shown.join(' -> ')} (see docs/architecture.md)` });
        };
        return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check };
      },
    },
  },
};

let cachedSrcGraph = null;
/** src/'s import graph, read once per lint run. */
function srcGraph() {
  cachedSrcGraph ??= importGraph(path.join(root, 'src'));
  return cachedSrcGraph;
}

const nodeBuiltins = ['node:*', 'fs', 'net', 'tls', 'os', 'path', 'crypto', 'child_process', 'zlib', 'stream', 'events', 'util', 'http', 'https', 'url', 'worker_threads', 'buffer', 'process'];

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', 'test-output/**'] },
  ...tseslint.configs.recommended,
  {
    plugins: { layers: layersPlugin },
    rules: {
      'layers/no-cross-layer': 'error',
      'layers/no-import-cycle': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // The CommonJS launcher in bin/ is plain Node.
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', process: 'readonly', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['src/protocol/**/*.ts'],
    rules: {
      'no-console': 'error',
      'no-restricted-imports': ['error', {
        patterns: [
          { group: nodeBuiltins, message: 'src/protocol is pure TypeScript: no node:* imports (inject the capability instead).' },
          { group: ['electron', 'electron/*'], message: 'src/protocol must not import electron.' },
          { group: ['pino', 'pngjs', 'usb', 'node-hid'], message: 'src/protocol takes no runtime dependencies of the host.' },
        ],
      }],
      'no-restricted-globals': ['error', 'window', 'document', 'navigator', 'Buffer', 'process', 'require'],
    },
  },
  {
    files: ['src/main/**/*.ts'],
    rules: {
      'no-restricted-globals': ['error', 'window', 'document', 'navigator'],
    },
  },
  {
    files: ['src/renderer/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: nodeBuiltins, message: 'The renderer is sandboxed: no node:* imports.' },
          { group: ['electron', 'electron/*'], message: 'The renderer reaches electron only through the preload.' },
        ],
      }],
    },
  },
);
