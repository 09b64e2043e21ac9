import type { DiffView } from '../shared/api.js';
import { naturalCompare } from './natural.js';

/** The preview's groups, in the order a person needs them: what the rollback deletes comes first. */
export type ChangeKind = 'removed' | 'broughtBack' | 'restored';
export const GROUPS: { kind: ChangeKind; title: string; from: keyof Pick<DiffView, 'added' | 'removed' | 'modified'> }[] = [
  { kind: 'removed', title: 'Removed (added since)', from: 'added' },
  { kind: 'broughtBack', title: 'Brought back (deleted since)', from: 'removed' },
  { kind: 'restored', title: 'Restored (changed since)', from: 'modified' },
];

export interface TreeNode {
  name: string;
  /** Path inside the folder ('' for a group's top). */
  path: string;
  /** A path the diff names itself (not only a folder on the way to one). */
  isChange: boolean;
  children: TreeNode[];
  /** Changed paths at or below this node, in its group. */
  count: number;
  /** The selectable paths this node ticks: changed paths with no changed path below them (any group). */
  leaves: string[];
}

export interface ChangeGroup { kind: ChangeKind; title: string; root: TreeNode }

export interface ChangeTree {
  groups: ChangeGroup[];
  /** Every selectable path, across the groups. */
  leaves: string[];
  /** All changed paths as one tree: what `paths` is computed from. */
  combined: TreeNode;
  total: number;
}

function emptyNode(name: string, path: string): TreeNode {
  return { name, path, isChange: false, children: [], count: 0, leaves: [] };
}

/** Builds a tree of the paths (folders first, then natural order), marking the paths named themselves. */
function buildTree(paths: string[]): TreeNode {
  const root = emptyNode('', '');
  const index = new Map<string, TreeNode>([['', root]]);
  for (const p of paths) {
    const parts = p.split('/');
    let parent = root;
    for (let i = 0; i < parts.length; i++) {
      const sub = parts.slice(0, i + 1).join('/');
      let node = index.get(sub);
      if (!node) {
        node = emptyNode(parts[i] ?? '', sub);
        index.set(sub, node);
        parent.children.push(node);
      }
      parent = node;
    }
    parent.isChange = true;
  }
  const finish = (n: TreeNode): number => {
    n.children.sort((a, b) => (a.children.length > 0) !== (b.children.length > 0) ? (a.children.length > 0 ? -1 : 1) : naturalCompare(a.name, b.name));
    n.count = (n.isChange ? 1 : 0) + n.children.reduce((sum, c) => sum + finish(c), 0);
    return n.count;
  };
  finish(root);
  return root;
}

function eachNode(n: TreeNode, visit: (n: TreeNode) => void): void {
  visit(n);
  for (const c of n.children) eachNode(c, visit);
}

export function buildChangeTree(diff: Pick<DiffView, 'added' | 'removed' | 'modified'>): ChangeTree {
  const all = [...diff.added, ...diff.removed, ...diff.modified];
  const combined = buildTree(all);
  // A changed path with changed paths below it (a folder made a file, a folder's mode) cannot be restored
  // without them: it is ticked through them.
  const leavesOf = new Map<string, string[]>();
  const collect = (n: TreeNode): string[] => {
    const below = n.children.flatMap(collect);
    const mine = n.isChange && below.length === 0 ? [n.path] : below;
    leavesOf.set(n.path, mine);
    return mine;
  };
  collect(combined);
  combined.leaves = leavesOf.get('') ?? [];
  eachNode(combined, (n) => { n.leaves = leavesOf.get(n.path) ?? []; });

  const groups = GROUPS.map(({ kind, title, from }) => {
    const root = buildTree(diff[from]);
    const fill = (n: TreeNode): string[] => {
      const set = new Set<string>();
      if (n.isChange) for (const l of leavesOf.get(n.path) ?? []) set.add(l);
      for (const c of n.children) for (const l of fill(c)) set.add(l);
      n.leaves = [...set];
      return n.leaves;
    };
    fill(root);
    return { kind, title, root };
  }).filter((g) => g.root.count > 0);
  return { groups, leaves: combined.leaves, combined, total: all.length };
}

/**
 * What to send as the rollback's `paths` for the ticked leaves: null for everything; else the very paths the
 * person ticked (a changed folder whose contents are all ticked counts as one), so a file that appeared after
 * the preview is not touched. Past `limit` paths, whole folders are sent instead of their paths.
 */
export function scopeFor(tree: ChangeTree, excluded: ReadonlySet<string>, limit = 1000): string[] | null {
  if (excluded.size === 0) return null;
  const offIn = (n: TreeNode): number => n.leaves.filter((l) => excluded.has(l)).length;
  const exact: string[] = [];
  const walkExact = (n: TreeNode): void => {
    const off = offIn(n);
    if (off === n.leaves.length) return;
    if (n.isChange && off === 0) { exact.push(n.path); return; }
    for (const c of n.children) walkExact(c);
  };
  walkExact(tree.combined);
  if (exact.length <= limit) return exact;
  const folders: string[] = [];
  const walkFolders = (n: TreeNode): void => {
    const off = offIn(n);
    if (off === n.leaves.length) return;
    if (off === 0 && n.path !== '') { folders.push(n.path); return; }
    for (const c of n.children) walkFolders(c);
  };
  walkFolders(tree.combined);
  return folders;
}

/**
 * How many of the preview's changed paths the ticks will change: the one count the summary, the button and
 * the result share (the rollback counts its result in these words, paths as the diff names them). A changed
 * path is changed when every selectable path it ticks is ticked; a changed folder counts itself and its
 * changed contents, as the diff lists them.
 */
export function tickedChanges(tree: ChangeTree, excluded: ReadonlySet<string>): number {
  if (excluded.size === 0) return tree.total;
  let n = 0;
  eachNode(tree.combined, (node) => { if (node.isChange && node.leaves.every((l) => !excluded.has(l))) n++; });
  return n;
}

/** True when the preview holds paths of the repository `repo` ('' for the top) and every one is unticked. */
export function gitUnticked(tree: ChangeTree, excluded: ReadonlySet<string>, repo: string): boolean {
  const dotGit = repo === '' ? '.git' : `${repo}/.git`;
  const mine = tree.leaves.filter((l) => l === dotGit || l.startsWith(`${dotGit}/`));
  return mine.length > 0 && mine.every((l) => excluded.has(l));
}

export type Checked = 'true' | 'false' | 'mixed';

export function checkedState(leaves: string[], excluded: ReadonlySet<string>): Checked {
  if (excluded.size === 0 || leaves.length === 0) return 'true';
  let off = 0;
  for (const l of leaves) if (excluded.has(l)) off++;
  return off === 0 ? 'true' : off === leaves.length ? 'false' : 'mixed';
}

/** A row of the tree as shown: a group's heading or a path, with what a treeview announces. */
export interface TreeRow {
  key: string;
  group: ChangeGroup;
  node: TreeNode;
  level: number;
  setSize: number;
  posInSet: number;
  /** null: a path with nothing below it. */
  expanded: boolean | null;
  parentKey: string | null;
}

export const rowKey = (kind: ChangeKind, path: string): string => `${kind}:${path}`;

/** The rows in view for the open groups and folders (the virtualiser renders only those on screen). */
export function visibleRows(tree: ChangeTree, open: ReadonlySet<string>): TreeRow[] {
  const rows: TreeRow[] = [];
  const add = (group: ChangeGroup, node: TreeNode, level: number, setSize: number, posInSet: number, parentKey: string | null): void => {
    const key = rowKey(group.kind, node.path);
    const hasChildren = node.children.length > 0;
    const expanded = hasChildren ? open.has(key) : null;
    rows.push({ key, group, node, level, setSize, posInSet, expanded, parentKey });
    if (expanded) node.children.forEach((c, i) => add(group, c, level + 1, node.children.length, i + 1, key));
  };
  tree.groups.forEach((g, i) => add(g, g.root, 1, tree.groups.length, i + 1, null));
  return rows;
}

/** Deletions open; the rest open when short; folders open when they hold a few paths (never .git). */
export function initiallyOpen(tree: ChangeTree): Set<string> {
  const open = new Set<string>();
  for (const g of tree.groups) {
    if (g.kind === 'removed' || g.root.count <= 50) open.add(rowKey(g.kind, ''));
    // A repository's insides stay folded: the preview says what the rollback does to git in words first.
    const fold = (n: TreeNode): void => {
      if (n.name === '.git') return;
      if (n.path !== '' && n.children.length > 0 && n.count <= 25) open.add(rowKey(g.kind, n.path));
      n.children.forEach(fold);
    };
    fold(g.root);
  }
  return open;
}
