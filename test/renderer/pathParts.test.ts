import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { folderChoice, pathParts } from '../../src/renderer/pathParts.js';

describe('paths cut in the middle, never at the name', () => {
  test('the name, with the slash before it, is the part kept whole; the rest is what may be cut', () => {
    assert.deepEqual(pathParts('/home/u/code/project/src/name.ts'), { head: '/home/u/code/project/src', tail: '/name.ts' });
    assert.deepEqual(pathParts('/home/u/project/'), { head: '/home/u', tail: '/project' });
    assert.deepEqual(pathParts('/project'), { head: '', tail: '/project' });
    assert.deepEqual(pathParts('src/name.ts'), { head: 'src', tail: '/name.ts' });
    assert.deepEqual(pathParts('name.ts'), { head: '', tail: 'name.ts' });
    assert.deepEqual(pathParts('/'), { head: '', tail: '/' });
  });

  test('a folder in a list of folders reads name first, then where it is', () => {
    assert.equal(folderChoice('/tmp/a-rather-long-folder-name/with/levels/my-project'), 'my-project — /tmp/a-rather-long-folder-name/with/levels');
    assert.equal(folderChoice('/project'), 'project');
    assert.equal(folderChoice('/'), '/');
  });
});
