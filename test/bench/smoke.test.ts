import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import path from 'node:path';
import { repoRoot } from '../helpers/helpers.js';

// The benchmark is not a test (CI never gates on time), but it must keep running: a tiny run, checked for
// every measure, so `npm run bench` does not rot between the sessions that read its figures.
describe('npm run bench', () => {
  test('a tiny run measures every row against its peer and prints the ratios, the large rows and the real-data rows included', { timeout: 900_000 }, async () => {
    const real = path.join(repoRoot, 'node_modules', 'zod');
    const { stdout } = await promisify(execFile)(process.execPath, [
      path.join(repoRoot, 'dist', 'bench', 'bench.js'), '--files', '300', '--mb', '3', '--runs', '1', '--no-btrfs',
      '--history-snapshots', '20', '--large', '--large-files', '600', '--real', real,
    ], { maxBuffer: 1 << 20 });
    const ratio = (measure: RegExp, peer: string): RegExp => new RegExp(`${measure.source}\\s+\\d[\\d.]* m?s\\s+\\d[\\d.]* m?s \\(${peer}\\)\\s+\\d+\\.\\d{2}`);
    for (const expected of [
      ratio(/first snapshot, clone, bench tree \(ext4\/overlay, plain copies\)/, 'cp -a'),
      ratio(/repeat snapshot after 1% changed, no app \(ext4\/overlay, plain copies\)/, 'rsync -a --link-dest'),
      ratio(/rollback of a 1% change, no app \(ext4\/overlay, plain copies\)/, 'rsync -a --delete'),
      ratio(/list --json, 10,000 records/, 'node -e 0'),
      ratio(/history of one file, 20 snapshots x 300 files/, 'reading the manifests one by one'),
      ratio(/first snapshot, small-file tree, 300 files \(ext4\/overlay, plain copies\)/, 'cp -a'),
      ratio(/repeat snapshot after 1% changed, 300 small files, app running \(CLI through it\)/, 'rsync -a --link-dest'),
      ratio(/rollback of a 1% change, 300 small files, from the popover \(app API\)/, 'rsync -a --delete'),
      ratio(/rollback of a 1% change, 300 small files, CLI, app running/, 'rsync -a --delete'),
      ratio(/repeat snapshot after 1% changed, 300 small files, no app \(fresh process\)/, 'rsync -a --link-dest'),
      ratio(/repeat snapshot after 1% changed, 600 small files, app running \(CLI through it\)/, 'rsync -a --link-dest'),
      ratio(/repeat snapshot, the same 3 changed files in 600 files, app running/, 'same in 300 files'),
      ratio(/first snapshot, real zod \(\d+ files\)/, 'cp -a'),
      ratio(/first snapshot, real zod \(\d+ files\)/, 'rsync -a'),
      // restic and borg come from .ci/run's apt-get line; without them their rows are skipped with a note.
      ratio(/first snapshot, real zod \(\d+ files\)/, 'restic backup'),
      ratio(/first snapshot, real zod \(\d+ files\)/, 'borg create'),
      ratio(/rollback of a 1% change, real zod \(\d+ files\), no app/, 'rsync -a --delete'),
      /peak RSS of the app, 3 folders of 600 files in its settings\s+\d+ MB\s+\(VmHWM/,
    ]) assert.match(stdout, expected, `missing: ${expected}\n${stdout}`);
    assert.match(stdout, /btrfs: skipped \(--no-btrfs\)/);
    assert.match(stdout, /small-file tree on btrfs: skipped \(--no-btrfs\)/);
    assert.match(stdout, /rss: snapctl serve with 3 folders of 600 files (settled|had not settled)/);
    // Peak memory of both sides, from GNU time (installed by .ci/run): a number, not a placeholder.
    assert.match(stdout, /list --json, 10,000 records .* \d+ MB \/ \d+ MB/, stdout);
  });
});
