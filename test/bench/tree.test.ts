import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { generateSmallFileTree, planSmallFileTree } from '../../bench/tree.js';
import { treeStats } from '../../bench/tree-shape.js';
import { describeTree, tempDir } from '../helpers/helpers.js';

// The small-file tree stands in for a real node_modules in issue 30's rows: its shape is what makes those
// rows mean anything, so it is held to the install it was measured on (bench/README.md, "The small-file tree").
describe('the small-file tree', () => {
  test('has the shape measured on a real node_modules: median file about 1 KB, quartiles, few large files holding most bytes, shallow folders of a handful of files, .bin links', async () => {
    const root = await tempDir('snapctl-bench-tree-');
    try {
      const made = await generateSmallFileTree(root, 3000);
      assert.equal(made.files.length, 3000);
      const s = treeStats(path.join(root, 'node_modules'));
      assert.equal(s.files, 3000);
      assert.ok(s.size.p50 < 2048 && s.size.p50 > 700, `median ${s.size.p50}`);
      assert.ok(s.size.p25 > 250 && s.size.p25 < 500, `p25 ${s.size.p25}`);
      assert.ok(s.size.p75 > 2500 && s.size.p75 < 4500, `p75 ${s.size.p75}`);
      assert.ok(s.largeShare.over64k > 0.45 && s.largeShare.filesOver64k < s.files * 0.05, JSON.stringify(s.largeShare));
      assert.ok(s.filesPerFolder.p50 >= 3 && s.filesPerFolder.p50 <= 6, JSON.stringify(s.filesPerFolder));
      assert.ok(s.depth.p50 >= 3 && s.depth.p50 <= 5 && s.depth.max <= 10, JSON.stringify(s.depth));
      assert.ok(s.binSymlinks > 0 && s.binSymlinks === made.symlinks, `${s.binSymlinks} links`);
      assert.ok((s.extensions['.js'] ?? 0) > 0.4, JSON.stringify(s.extensions));
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  test('is the same tree every time for a file count, so every tool and every run sees the same data', async () => {
    const a = await tempDir('snapctl-bench-tree-');
    const b = await tempDir('snapctl-bench-tree-');
    try {
      await generateSmallFileTree(a, 400);
      await generateSmallFileTree(b, 400);
      // Everything but the mtimes, which are the moment each was written.
      const shape = async (root: string): Promise<string[]> => Object.entries(await describeTree(root)).map(([p, d]) => `${p} ${d.replace(/ mtime=\d+$/, '')}`);
      const first = await shape(a);
      assert.equal(first.filter((l) => l.includes(' file ')).length, 400);
      assert.deepEqual(await shape(b), first);
    } finally {
      await rm(a, { recursive: true, force: true });
      await rm(b, { recursive: true, force: true });
    }
  });

  test('at 200,000 files no file takes the name of a folder, and every file sits in a folder of the plan', () => {
    const plan = planSmallFileTree(200_000);
    assert.equal(plan.files.length, 200_000);
    assert.equal(new Set(plan.files).size, 200_000);
    const folders = new Set(plan.folders);
    const clashes = plan.files.filter((f) => folders.has(f));
    assert.deepEqual(clashes.slice(0, 5), []);
    const homeless = plan.files.filter((f) => !folders.has(f.slice(0, f.lastIndexOf('/'))));
    assert.deepEqual(homeless.slice(0, 5), []);
  });
});
