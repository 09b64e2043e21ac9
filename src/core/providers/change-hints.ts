/**
 * The paths a filesystem's own difference of two snapshots names (btrfs send, zfs diff), relative to the top
 * of the subvolume or dataset: nothing outside them differs. They are hints, never a result: each is looked
 * at in both snapshots, which decides (snapshot-changes.ts).
 */
export interface ChangeHints {
  /** Paths as the older snapshot or the newer one names them. */
  paths: Set<string>;
  /** Folders renamed (either name): every path below them differs by name, so all of them are looked at. */
  trees: Set<string>;
}

type Op = { kind: 'touch'; path: string } | { kind: 'rename'; from: string; to: string };

/**
 * Collects the paths of a stream of changes applied in order (btrfs send's), where each path is named as the
 * folder stands at that point: a file written inside a folder that is renamed later, or that was renamed
 * before (btrfs moves a folder aside under a temporary name, `o257-7-0`, while it shuffles names), is found
 * under its name in the older snapshot and its name in the newer one by following the renames of its folders
 * backwards and forwards. Every name it passed through is kept too: a path too many costs one lstat.
 */
export class ChangeNames {
  private readonly ops: Op[] = [];

  touch(path: string): void {
    this.ops.push({ kind: 'touch', path });
  }

  rename(from: string, to: string): void {
    this.ops.push({ kind: 'rename', from, to });
  }

  hints(): ChangeHints {
    const byFrom = new Map<string, number[]>();
    const byTo = new Map<string, number[]>();
    this.ops.forEach((op, i) => {
      if (op.kind !== 'rename') return;
      push(byFrom, op.from, i);
      push(byTo, op.to, i);
    });
    const forward = (p: string, i: number): string => {
      for (let guard = 0; guard <= this.ops.length; guard++) {
        const next = nearest(p, byFrom, (list) => firstAfter(list, i));
        if (!next) return p;
        const op = this.ops[next.at] as Extract<Op, { kind: 'rename' }>;
        p = op.to + p.slice(next.prefix.length);
        i = next.at;
      }
      return p;
    };
    const backward = (p: string, i: number): string => {
      for (let guard = 0; guard <= this.ops.length; guard++) {
        const prev = nearest(p, byTo, (list) => lastBefore(list, i), true);
        if (!prev) return p;
        const op = this.ops[prev.at] as Extract<Op, { kind: 'rename' }>;
        p = op.from + p.slice(prev.prefix.length);
        i = prev.at;
      }
      return p;
    };
    const paths = new Set<string>();
    const trees = new Set<string>();
    this.ops.forEach((op, i) => {
      const named = op.kind === 'touch' ? [op.path] : [op.from, op.to];
      for (const p of named) {
        paths.add(p);
        paths.add(forward(p, i));
        paths.add(backward(p, i));
      }
      if (op.kind === 'rename') {
        for (const p of [backward(op.from, i), forward(op.to, i)]) trees.add(p);
      }
    });
    return { paths, trees };
  }
}

function push(map: Map<string, number[]>, key: string, i: number): void {
  const list = map.get(key);
  if (list) list.push(i); else map.set(key, [i]);
}

/**
 * The rename nearest in time (first after, or last before) among those of `p` itself or of a folder above it.
 * `latest`: the largest index wins, else the smallest.
 */
function nearest(p: string, index: Map<string, number[]>, pick: (list: number[]) => number | undefined, latest = false): { at: number; prefix: string } | null {
  let best: { at: number; prefix: string } | null = null;
  for (let end = p.length; end > 0; end = p.lastIndexOf('/', end - 1)) {
    const prefix = p.slice(0, end);
    const list = index.get(prefix);
    const at = list ? pick(list) : undefined;
    if (at !== undefined && (best === null || (latest ? at > best.at : at < best.at))) best = { at, prefix };
    if (end <= 0) break;
  }
  return best;
}

function firstAfter(list: number[], i: number): number | undefined {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if ((list[mid] as number) <= i) lo = mid + 1; else hi = mid; }
  return list[lo];
}

function lastBefore(list: number[], i: number): number | undefined {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if ((list[mid] as number) < i) lo = mid + 1; else hi = mid; }
  return lo > 0 ? list[lo - 1] : undefined;
}

/**
 * The hints below `inside` (the folder's place in the subvolume or dataset, '' for its top), relative to it;
 * `{ why }` when a folder holding the folder itself was renamed (nothing of it would be where it was).
 */
export function hintsWithin(hints: ChangeHints, inside: string): ChangeHints | { why: string } {
  if (inside === '') return { paths: new Set([...hints.paths].filter((p) => p !== '')), trees: hints.trees };
  const prefix = `${inside}/`;
  for (const t of hints.trees) if (t === inside || inside.startsWith(`${t}/`)) return { why: `${t}, which holds the folder, was renamed` };
  const strip = (set: Set<string>): Set<string> => new Set([...set].filter((p) => p.startsWith(prefix)).map((p) => p.slice(prefix.length)));
  return { paths: strip(hints.paths), trees: strip(hints.trees) };
}
