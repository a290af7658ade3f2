// Import layers of ../shared/docs/architecture.md, enforced as errors (VS Code's layer checks).
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['node:*', 'fs', 'net', 'tls', 'os', 'path', 'crypto', 'child_process', 'zlib', 'stream', 'events', 'util', 'http', 'https', 'url', 'worker_threads', 'buffer', 'process'];

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', 'test-output/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: ['src/protocol/**/*.ts'],
    rules: {
      'no-console': 'error',
      'no-restricted-imports': ['error', {
        patterns: [
          { group: nodeBuiltins, message: 'src/protocol is pure TypeScript: no node:* imports (inject the capability instead).' },
          { group: ['electron', 'electron/*'], message: 'src/protocol must not import electron.' },
          { group: ['**/main/**', '**/renderer/**', '../main', '../renderer'], message: 'src/protocol must not import src/main or src/renderer.' },
          { group: ['pino', 'pngjs', 'usb', 'node-hid'], message: 'src/protocol takes no runtime dependencies of the host.' },
        ],
      }],
      'no-restricted-globals': ['error', 'window', 'document', 'navigator', 'Buffer', 'process', 'require'],
    },
  },
  {
    files: ['src/main/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/renderer/**', '../renderer'], message: 'src/main must not import src/renderer.' },
        ],
      }],
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
          { group: ['**/main/**', '../main'], message: 'src/renderer must not import src/main.' },
        ],
      }],
    },
  },
);
