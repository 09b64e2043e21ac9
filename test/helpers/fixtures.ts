import { chmod, mkdir, rename, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Names a developer's folder really holds: spaces, unicode, shell syntax, a newline, a leading dash. */
export const ODD_NAMES = ['with space.txt', 'ünïcødé-名前.md', '$(touch pwned);`id`.sh', "quote'\"s.txt", 'new\nline.txt', '-rf', '#hash%20'];

/** A tree with every kind of entry the clone provider must keep. */
export async function buildEveryKindTree(root: string): Promise<void> {
  await mkdir(path.join(root, 'src', 'lib'), { recursive: true });
  await writeFile(path.join(root, 'src', 'index.ts'), 'export const answer = 42;\n');
  await writeFile(path.join(root, 'src', 'lib', 'util.ts'), 'export function id<T>(x: T): T { return x; }\n');
  await writeFile(path.join(root, 'run.sh'), '#!/bin/sh\necho hi\n');
  await chmod(path.join(root, 'run.sh'), 0o755);
  await writeFile(path.join(root, 'readonly.txt'), 'do not edit\n');
  await chmod(path.join(root, 'readonly.txt'), 0o444);
  await writeFile(path.join(root, 'empty-file'), '');
  await mkdir(path.join(root, 'empty-dir'));
  await mkdir(path.join(root, 'nested', 'deep', 'deeper'), { recursive: true });
  await writeFile(path.join(root, 'nested', 'deep', 'deeper', 'leaf.json'), '{"ok":true}\n');
  await symlink('src/index.ts', path.join(root, 'link-to-file'));
  await symlink('src', path.join(root, 'link-to-dir'));
  await symlink('does/not/exist', path.join(root, 'dangling-link'));
  await symlink('/etc/hostname', path.join(root, 'absolute-link'));
  await mkdir(path.join(root, 'odd names'));
  for (const name of ODD_NAMES) await writeFile(path.join(root, 'odd names', name), `content of ${name}\n`);
  const big = Buffer.alloc(3 * 1024 * 1024 + 17);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) % 251;
  await writeFile(path.join(root, 'big.bin'), big);
  // A fixed old mtime proves mtimes are restored, not just contents.
  const old = new Date('2021-03-04T05:06:07.891Z');
  await utimes(path.join(root, 'src', 'index.ts'), old, old);
}

/** Changes the tree in every way a rollback has to undo. */
export async function mutateEveryWay(root: string): Promise<void> {
  await writeFile(path.join(root, 'src', 'index.ts'), 'export const answer = 43;\n'); // modified content
  await rm(path.join(root, 'src', 'lib'), { recursive: true }); // deleted folder
  await writeFile(path.join(root, 'added.txt'), 'new file\n'); // added file
  await mkdir(path.join(root, 'added-dir', 'inner'), { recursive: true }); // added folders
  await writeFile(path.join(root, 'added-dir', 'inner', 'x'), 'x');
  await chmod(path.join(root, 'run.sh'), 0o644); // mode change
  await rm(path.join(root, 'empty-dir'), { recursive: true });
  await writeFile(path.join(root, 'empty-dir'), 'now a file'); // folder replaced by a file
  await rm(path.join(root, 'empty-file'));
  await mkdir(path.join(root, 'empty-file')); // file replaced by a folder
  await rm(path.join(root, 'link-to-file'));
  await symlink('run.sh', path.join(root, 'link-to-file')); // retargeted link
  await rm(path.join(root, 'dangling-link')); // deleted link
  await rename(path.join(root, 'odd names', 'with space.txt'), path.join(root, 'odd names', 'renamed.txt'));
  await writeFile(path.join(root, 'empty-dir-was-here.txt'), '');
  await writeFile(path.join(root, 'big.bin'), Buffer.alloc(1024, 1)); // big file shrunk
}
