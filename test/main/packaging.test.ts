import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, test } from 'node:test';
import { launcherScript } from '../../src/core/triggers/cli-command.js';
import { NATIVE_MODULES } from '../../packaging/targets.js';
import { repoRoot } from '../helpers/helpers.js';

interface BuilderConfig {
  asarUnpack?: string[]; electronFuses?: Record<string, boolean>; afterPack?: string; productName?: string;
  mac?: { extendInfo?: Record<string, unknown>; hardenedRuntime?: boolean; target?: { target: string; arch: string[] }[] };
  linux?: { target?: string[]; executableName?: string }; deb?: { depends?: string[]; fpm?: string[] }; files?: { filter: string[] }[];
}
type ConfigModule = {
  getConfig: (projectDir: string, configPath: string | null, fromOptions: unknown) => Promise<BuilderConfig>;
  validateConfiguration: (config: unknown, logger: unknown) => Promise<void>;
};

// electron-builder's own loader and schema. The packages themselves are built and run in CI
// (scripts/package.mjs, test/packaging/packaged-app.test.ts); these check the file's intent. Its internals are CommonJS files outside any
// typed entry point, so they are required by path.
const requireBuilder = createRequire(import.meta.url);
const config = requireBuilder('app-builder-lib/out/util/config/config.js') as ConfigModule;
const { DebugLogger } = requireBuilder('builder-util/out/DebugLogger.js') as { DebugLogger: new (enabled: boolean) => unknown };
// electron-builder logs "  • loaded configuration" to stdout, the channel node --test (Node 20) reads its
// serialized reports from: text right after a report whose third byte is not ASCII is misread as one
// ('Unable to deserialize cloned data'), failing this file at random on a loaded machine. So it logs to stderr.
const { log } = requireBuilder('builder-util/out/log.js') as { log: { stream: NodeJS.WritableStream } };
log.stream = process.stderr;

describe('packaging (electron-builder.yml)', () => {
  test('passes electron-builder schema validation, and the validation really rejects a bad key', async () => {
    const logger = new DebugLogger(false);
    const loaded = await config.getConfig(repoRoot, path.join(repoRoot, 'electron-builder.yml'), null);
    await config.validateConfiguration(loaded, logger);
    await assert.rejects(config.validateConfiguration({ ...loaded, mac: { ...loaded.mac, notAKey: true } }, logger), /does not match the API schema[\s\S]*configuration\.mac/);
  });

  test('macOS: menu-bar only (LSUIElement), hardened runtime, dmg and zip for arm64 and x64; Linux: AppImage and deb', async () => {
    const c = await config.getConfig(repoRoot, path.join(repoRoot, 'electron-builder.yml'), null);
    assert.equal(c.mac?.extendInfo?.['LSUIElement'], true);
    assert.equal(c.mac?.hardenedRuntime, true);
    for (const t of ['dmg', 'zip']) assert.deepEqual(c.mac?.target?.find((x) => x.target === t)?.arch, ['arm64', 'x64']);
    assert.deepEqual(c.linux?.target, ['AppImage', 'deb']);
  });

  test('everything the app loads at run time is inside the package', async () => {
    const pkg = JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8')) as { main: string };
    const c = await config.getConfig(repoRoot, path.join(repoRoot, 'electron-builder.yml'), null);
    const included = (c.files ?? []).flatMap((f) => f.filter).filter((f) => !f.startsWith('!'));
    const covers = (file: string): boolean => included.some((g) => g === file || (g.endsWith('/**') && file.startsWith(g.slice(0, -2))));
    for (const file of [pkg.main, 'dist/main/preload.cjs', 'dist/renderer/index.html', 'dist/renderer/app.js', 'assets/trayTemplate.png', 'assets/trayTemplate@2x.png', 'assets/tray.png', 'bin/snapctl.js']) {
      assert.ok(covers(file), `${file} is not packaged`);
      await readFile(path.join(repoRoot, file));
    }
  });

  test('the app binary cannot be borrowed as a Node (runAsNode, NODE_OPTIONS, --inspect fuses off), and the CLI it installs is unpacked', async () => {
    const c = await config.getConfig(repoRoot, path.join(repoRoot, 'electron-builder.yml'), null);
    assert.deepEqual(
      { runAsNode: c.electronFuses?.['runAsNode'], nodeOptions: c.electronFuses?.['enableNodeOptionsEnvironmentVariable'], inspect: c.electronFuses?.['enableNodeCliInspectArguments'] },
      { runAsNode: false, nodeOptions: false, inspect: false },
    );
    // What `node bin/snapctl.js` reads from outside the archive: the launcher, its bundle, the popover for serve.
    const unpacked = (file: string): boolean => (c.asarUnpack ?? []).some((g) => g.endsWith('/**') && file.startsWith(g.slice(0, -2)));
    for (const file of ['bin/snapctl.js', 'bin/package.json', 'dist/src/cli-bundle/main.cjs', 'dist/src/cli-bundle/fast-list.cjs', 'dist/src/cli-bundle/vendor/zod.cjs', 'dist/renderer/index.html']) {
      assert.ok(unpacked(file), `${file} is not unpacked`);
      await readFile(path.join(repoRoot, file));
    }
    // The CLI's native modules, loader and per-platform package alike (`@napi-rs/xattr-darwin-arm64`, ...).
    const matches = (file: string): boolean => (c.asarUnpack ?? []).some((g) => g.endsWith('/**') && (g.endsWith('*/**') ? file.startsWith(g.slice(0, -4)) : file.startsWith(g.slice(0, -2))));
    for (const m of NATIVE_MODULES) {
      assert.ok(matches(`node_modules/${m.name}/package.json`), `${m.name} is not unpacked`);
      if (m.carriesEveryBuild) continue;
      assert.ok(matches(`node_modules/${m.platformPackages ?? `${m.name}-`}linux-arm64-gnu/x.node`), `${m.name}'s platform packages are not unpacked`);
    }
    // The hook that writes the unpacked CLI's package.json and checks the native modules is built.
    assert.equal(c.afterPack, './dist/packaging/after-pack.js');
    await readFile(path.join(repoRoot, c.afterPack));
  });

  test('deb: Electron\'s dependency list is kept, and /usr/bin/snapctl is the command line, not the app\'s binary', async () => {
    const c = await config.getConfig(repoRoot, path.join(repoRoot, 'electron-builder.yml'), null);
    // Any `depends` replaces electron-builder's list (GTK, NSS, ...): a minimal system would lack Electron's libraries.
    assert.equal(c.deb?.depends, undefined);
    // The deb links /usr/bin/<executableName> to the app's binary: it must not be the command's name.
    assert.notEqual(c.linux?.executableName, 'snapctl');
    const mapping = (c.deb?.fpm ?? []).find((a) => a.endsWith('=/usr/bin/snapctl'));
    assert.ok(mapping, 'the deb installs /usr/bin/snapctl');
    // The launcher the app installs, pointing at the CLI where the deb puts the app (/opt/<productName>).
    const file = await readFile(path.join(repoRoot, mapping.split('=')[0] ?? ''), 'utf8');
    assert.equal(file, launcherScript(`/opt/${c.productName ?? 'snapctl'}/resources/app.asar.unpacked/bin/snapctl.js`));
    assert.equal((await stat(path.join(repoRoot, mapping.split('=')[0] ?? ''))).mode & 0o755, 0o755, 'executable');
  });
});
