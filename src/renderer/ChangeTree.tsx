import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { checkedState, visibleRows, type ChangeKind, type ChangeTree as Tree, type TreeRow } from './pathTree.js';

const ROW_HEIGHT = 24;

interface Props {
  tree: Tree;
  open: ReadonlySet<string>;
  onOpenChange: (open: Set<string>) => void;
  excluded: ReadonlySet<string>;
  onExcludedChange: (excluded: Set<string>) => void;
  /** A path (not a folder) was picked: show its content diff. */
  onPick: (path: string, kind: ChangeKind) => void;
  /** Take focus once the rows exist (coming back from a diff). */
  focusOnMount?: boolean;
  /** The row to start from (the path whose diff was shown). */
  initialPath?: string | null;
}

function rowLabel(row: TreeRow): string {
  const n = row.node.count;
  const paths = `${n} ${n === 1 ? 'path' : 'paths'}`;
  if (row.level === 1) return `${row.group.title}: ${paths}`;
  return row.node.children.length > 0 ? `${row.node.path}/, ${paths}` : row.node.path;
}

/**
 * The preview's paths as a treeview: groups, then folders with counts, then paths. Virtualised, so 20,000
 * paths are all reachable; arrows move and open, Space ticks (a folder ticks its contents), Enter opens a
 * folder or shows a path's diff.
 */
export function ChangeTree({ tree, open, onOpenChange, excluded, onExcludedChange, onPick, focusOnMount = false, initialPath = null }: Props): React.JSX.Element {
  const rows = useMemo(() => visibleRows(tree, open), [tree, open]);
  const scroller = useRef<HTMLDivElement>(null);
  const [activeKey, setActiveKey] = useState<string | null>(() => rows.find((r) => initialPath !== null && r.node.path === initialPath && r.level > 1)?.key ?? null);
  const focusPending = useRef(focusOnMount);
  const activeIndex = Math.max(0, rows.findIndex((r) => r.key === activeKey));
  const virtualizer = useVirtualizer({ count: rows.length, getScrollElement: () => scroller.current, estimateSize: () => ROW_HEIGHT, overscan: 10 });

  // Coming back from a diff: the row it was opened from is in view again.
  const startIndex = useRef(activeIndex);
  useEffect(() => { if (startIndex.current > 0) virtualizer.scrollToIndex(startIndex.current, { align: 'center' }); }, [virtualizer]);

  useEffect(() => {
    if (!focusPending.current) return;
    // The row may not exist yet (the virtualiser measures first): try again on the next render.
    const row = scroller.current?.querySelector<HTMLElement>(`[data-index="${activeIndex}"]`);
    if (!row) return;
    focusPending.current = false;
    row.focus();
  });

  const goTo = (index: number): void => {
    const row = rows[Math.min(rows.length - 1, Math.max(0, index))];
    if (!row) return;
    setActiveKey(row.key);
    virtualizer.scrollToIndex(rows.indexOf(row));
    focusPending.current = true;
  };
  const setOpenKey = (key: string, value: boolean): void => {
    const next = new Set(open);
    if (value) next.add(key); else next.delete(key);
    onOpenChange(next);
  };
  const toggleCheck = (row: TreeRow): void => {
    const next = new Set(excluded);
    const state = checkedState(row.node.leaves, excluded);
    for (const l of row.node.leaves) { if (state === 'true') next.add(l); else next.delete(l); }
    onExcludedChange(next);
  };
  const activate = (row: TreeRow): void => {
    if (row.expanded !== null) setOpenKey(row.key, !row.expanded);
    else onPick(row.node.path, row.group.kind);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>): void => {
    const row = rows[activeIndex];
    if (!row) return;
    const pages = Math.max(1, Math.floor((scroller.current?.clientHeight ?? 240) / ROW_HEIGHT) - 1);
    switch (e.key) {
      case 'ArrowDown': goTo(activeIndex + 1); break;
      case 'ArrowUp': goTo(activeIndex - 1); break;
      case 'PageDown': goTo(activeIndex + pages); break;
      case 'PageUp': goTo(activeIndex - pages); break;
      case 'Home': goTo(0); break;
      case 'End': goTo(rows.length - 1); break;
      case 'ArrowRight':
        if (row.expanded === false) setOpenKey(row.key, true);
        else if (row.expanded === true) goTo(activeIndex + 1);
        break;
      case 'ArrowLeft':
        if (row.expanded === true) setOpenKey(row.key, false);
        else if (row.parentKey) goTo(rows.findIndex((r) => r.key === row.parentKey));
        break;
      case ' ': toggleCheck(row); break;
      case 'Enter': activate(row); break;
      default: return;
    }
    e.preventDefault();
    e.stopPropagation();
  };

  return (
    <div className="tree" ref={scroller} role="tree" aria-label="Paths the rollback changes: Space ticks, Enter opens or shows the diff" onKeyDown={onKeyDown}>
      <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
        {virtualizer.getVirtualItems().map((item) => {
          const row = rows[item.index];
          if (!row) return null;
          const checked = checkedState(row.node.leaves, excluded);
          const isGroup = row.level === 1;
          return (
            <div
              key={row.key}
              role="treeitem"
              className={`tree-row ${isGroup ? `group ${row.group.kind}` : ''} ${row.group.kind}`}
              data-index={item.index}
              data-path={row.node.path}
              aria-level={row.level}
              aria-setsize={row.setSize}
              aria-posinset={row.posInSet}
              aria-expanded={row.expanded ?? undefined}
              aria-checked={checked}
              aria-selected={item.index === activeIndex}
              aria-label={rowLabel(row)}
              tabIndex={item.index === activeIndex ? 0 : -1}
              onFocus={() => setActiveKey(row.key)}
              onClick={() => { setActiveKey(row.key); activate(row); }}
              style={{ position: 'absolute', top: 0, left: 0, right: 0, height: ROW_HEIGHT, transform: `translateY(${item.start}px)`, paddingLeft: 4 + (row.level - 1) * 14 }}
            >
              <span className="twisty" aria-hidden="true">{row.expanded === null ? '' : row.expanded ? '▾' : '▸'}</span>
              <input type="checkbox" tabIndex={-1} aria-hidden="true" checked={checked !== 'false'}
                ref={(el) => { if (el) el.indeterminate = checked === 'mixed'; }}
                onClick={(e) => e.stopPropagation()} onChange={() => { setActiveKey(row.key); toggleCheck(row); }} />
              <span className="name" title={row.node.path}>{isGroup ? row.group.title : row.node.children.length > 0 ? `${row.node.name}/` : row.node.name}</span>
              {(isGroup || row.node.children.length > 0) && <span className="count">{row.node.count}</span>}
            </div>
          );
        })}
      </div>
    </div>
  );
}
