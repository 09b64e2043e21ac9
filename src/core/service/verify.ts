import { describeError } from '../base/errors.js';
import type { ContentProblem, ObjectChecks } from '../providers/provider.js';
import type { ProviderName } from '../../shared/model.js';
import type { ServiceContext } from './context.js';
import { getSnapshot, listSnapshots } from './queries.js';
import { setState } from './record-changes.js';

export interface VerifyReport {
  id: string;
  target: string;
  provider: ProviderName;
  /** Files whose data was checked (0 where the filesystem checks its own data). */
  checked: number;
  problems: ContentProblem[];
}

/**
 * Checks snapshots' data (all, or one): every file the snapshot holds is there, whole, with the content
 * recorded for it. Damaged snapshots are marked so, and marked ready again once whole.
 */
export async function verifySnapshots(ctx: ServiceContext, id?: unknown): Promise<VerifyReport[]> {
  const records = id === undefined ? (await listSnapshots(ctx)).filter((s) => s.state !== 'vanished') : [await getSnapshot(ctx, id)];
  let reports: VerifyReport[] = [];
  const seen: ObjectChecks = new Map();
  for (const record of records) {
    const provider = ctx.provider(record.provider);
    let result: { checked: number; problems: ContentProblem[] };
    if (provider.verifyContent) result = await provider.verifyContent(record, seen);
    else result = await provider.verify(record).then(() => ({ checked: 0, problems: [] }), (err: unknown) => ({ checked: 0, problems: [{ path: '(the snapshot)', problem: describeError(err) }] }));
    reports.push({ id: record.id, target: record.target, provider: record.provider, checked: result.checked, problems: result.problems });
  }
  // A snapshot deleted while it was being checked is gone, not damaged.
  const still = new Set((await ctx.store.read()).snapshots.map((s) => s.id));
  reports = reports.filter((r) => still.has(r.id));
  const damaged = reports.filter((r) => r.problems.length > 0).map((r) => r.id);
  const whole = reports.filter((r) => r.problems.length === 0).map((r) => r.id);
  await setState(ctx, damaged, 'damaged');
  await setState(ctx, whole, 'ready', 'damaged');
  return reports;
}

/**
 * Marks records whose snapshot the provider no longer has (macOS thins APFS snapshots on its own), so the
 * UI never offers a rollback that cannot work. Returns the ids newly marked.
 */
export async function reconcile(ctx: ServiceContext): Promise<string[]> {
  const gone = new Set<string>();
  // Only providers whose snapshots can vanish are asked, each about its own ready records: one pass each
  // over the store, which runs before every listing.
  for (const provider of Object.values(ctx.allProviders())) {
    if (!provider?.capabilities.mayVanish || !provider.vanished) continue;
    const theirs = (await ctx.store.read()).snapshots.filter((s) => s.provider === provider.name && s.state === 'ready');
    if (theirs.length > 0) for (const id of await provider.vanished(theirs)) gone.add(id);
  }
  if (gone.size === 0) return [];
  await ctx.store.update((store) => {
    for (const s of store.snapshots) if (gone.has(s.id)) s.state = 'vanished';
  });
  return [...gone];
}
