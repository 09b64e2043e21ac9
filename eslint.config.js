// The linter holds the layering (docs/ARCHITECTURE.md): shared <- core <- api <- cli | main, and the renderer
// sees only shared. Imports are relative, so each layer lists the folders it may not reach by `../`.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

/** An import that climbs out of its folder and into one of `layers` (any depth of `../`). */
const into = (layers, message) => ({ regex: `^(\\.\\./)+(${layers.join('|')})/`, message });
/** `../shared/../core/x.js` would slip past the rules above: a path never climbs after descending. */
const noDetours = { regex: '[^./]/\\.\\./', message: 'a relative import climbs (..) only at its start' };

const layer = (files, patterns, extra = []) => ({
  files,
  rules: {
    '@typescript-eslint/no-restricted-imports': ['error', {
      // Types carry no code and no dependency at run time (the IPC glue names Electron's event types).
      patterns: [...patterns, noDetours].map((p) => ({ ...p, allowTypeImports: p.allowTypeImports ?? false })),
      paths: extra,
    }],
  },
});

/** The core's floors, lowest first (docs/ARCHITECTURE.md). */
const CORE_FLOORS = [['base'], ['tree'], ['state'], ['changes', 'history', 'providers'], ['service'], ['triggers'], ['runtime']];

const electron = { name: 'electron', message: 'only src/main (the Electron shell) loads Electron', allowTypeImports: true };

export default tseslint.config(
  { ignores: ['dist/**', 'release/**', 'node_modules/**', 'e2e/artifacts/**', 'bench/results/**', '**/*.cjs', 'bin/**', 'scripts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
    },
  },
  layer(['src/shared/**'], [{ regex: '^\\.\\./', message: 'src/shared is the model and the contract: it imports nothing of ours outside itself' }], [electron]),
  // Inside the core, floors: a part imports only parts on its floor or below (base lowest), never higher.
  ...CORE_FLOORS.map((parts, floor) => layer(parts.map((p) => `src/core/${p}/**`), [
    into(['api', 'cli', 'main', 'renderer'], 'src/core imports only src/shared (and itself)'),
    ...(floor + 1 < CORE_FLOORS.length ? [into(CORE_FLOORS.slice(floor + 1).flat(), `src/core/${parts.join(', ')} sit below ${CORE_FLOORS.slice(floor + 1).flat().join(', ')}: what both sides need belongs on the lower floor`)] : []),
  ], [electron])),
  layer(['src/api/**'], [into(['cli', 'main', 'renderer'], 'src/api sits on core and shared; adapters (cli, main) sit on it')], [electron]),
  layer(['src/cli/**'], [into(['main', 'renderer'], 'the CLI is an adapter on api, core and shared')], [electron]),
  layer(['src/main/**'], [into(['cli', 'renderer'], 'the Electron shell is an adapter on api, core and shared')]),
  layer(['src/renderer/**'], [
    into(['core', 'api', 'cli', 'main'], 'the popover sees only src/shared: everything else reaches it through the API'),
    { regex: '^node:', message: 'the popover runs in a sandboxed page, without Node' },
  ], [electron]),
  {
    files: ['src/renderer/**'],
    plugins: { 'react-hooks': reactHooks },
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'error' },
  },
);
