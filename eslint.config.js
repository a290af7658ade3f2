// Import layers of ../shared/docs/architecture.md, enforced as errors (VS Code's layer checks).
import path from 'node:path';
import tseslint from 'typescript-eslint';

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
          const to = layerOf(path.resolve(path.dirname(context.filename), spec));
          if (to && forbidden.includes(to)) {
            context.report({ node: node.source, message: `${from} must not import ${to} (see shared/docs/architecture.md)` });
          }
        };
        return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check };
      },
    },
  },
};

const nodeBuiltins = ['node:*', 'fs', 'net', 'tls', 'os', 'path', 'crypto', 'child_process', 'zlib', 'stream', 'events', 'util', 'http', 'https', 'url', 'worker_threads', 'buffer', 'process'];

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', 'test-output/**'] },
  ...tseslint.configs.recommended,
  {
    plugins: { layers: layersPlugin },
    rules: {
      'layers/no-cross-layer': 'error',
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
