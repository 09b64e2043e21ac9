import type { ProviderName } from '../../shared/model.js';
import type { Detection, ProviderCapabilities, SnapshotProvider } from './provider.js';

export interface ProviderReport extends Detection {
  name: ProviderName;
  capabilities: ProviderCapabilities;
}

export interface ProviderChoice {
  target: string;
  chosen: ProviderName;
  /** Every provider's answer, in the order they were considered. */
  reports: ProviderReport[];
}

/** The filesystem's own snapshots first (instant, no copy); clone, which works everywhere, last. */
export const DETECTION_ORDER: readonly ProviderName[] = ['apfs', 'btrfs', 'zfs', 'clone'];

/**
 * What `auto` may pick. APFS local snapshots are reported but never picked on their own: macOS thins them
 * within a day, so daily and longer retention would mean nothing, and a rollback needs an administrator.
 * On APFS, clone's copies are APFS clones (clonefile): durable, and no space used until a file changes.
 */
const AUTO_CHOICES: ReadonlySet<ProviderName> = new Set(['btrfs', 'zfs', 'clone']);

/** Asks each provider whether it can snapshot `target` and picks the first that can. */
export async function chooseProvider(target: string, providers: Partial<Record<ProviderName, SnapshotProvider>>): Promise<ProviderChoice> {
  const reports: ProviderReport[] = [];
  for (const name of DETECTION_ORDER) {
    const provider = providers[name];
    if (!provider) continue;
    const detection = await provider.detect(target).catch((err: unknown) => ({ usable: false, reason: err instanceof Error ? err.message : String(err) }));
    reports.push({ name, capabilities: provider.capabilities, ...detection });
  }
  const chosen = reports.find((r) => r.usable && AUTO_CHOICES.has(r.name))?.name ?? 'clone';
  return { target, chosen, reports };
}
