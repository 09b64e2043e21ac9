import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import path from 'node:path';
import { repoRoot } from '../helpers/helpers.js';

// The benchmark is not a test (CI never gates on time), but it must keep running: a tiny run, checked for
// every measure, so `npm run bench` does not rot between the sessions that read its figures.
describe('npm run bench', () => {
  test('a tiny run measures every clone and list figure against its peer and prints the ratios', { timeout: 180_000 }, async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(repoRoot, 'dist', 'bench', 'bench.js'), '--files', '300', '--mb', '3', '--runs', '1', '--no-btrfs'], { maxBuffer: 1 << 20 });
    for (const measure of [/first snapshot, clone .*\(cp -a/, /repeat snapshot after 1% changed .*\(rsync -a --link-dest/, /rollback of a 1% change .*\(rsync -a --delete/, /list --json, 10,000 records .*\(node -e 0/]) {
      assert.match(stdout, new RegExp(`${measure.source}\\)\\s+\\d+\\.\\d{2}`), `missing: ${measure}\n${stdout}`);
    }
    assert.match(stdout, /btrfs: skipped \(--no-btrfs\)/);
    // Peak memory of both sides, from GNU time (installed by .ci/run): a number, not a placeholder.
    assert.match(stdout, /list --json, 10,000 records .* \d+ MB \/ \d+ MB/, stdout);
  });
});
