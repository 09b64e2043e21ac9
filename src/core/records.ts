import { z } from 'zod';

/**
 * Snapshot ids sort by creation time and are safe as file names on every OS:
 * `YYYYMMDD-HHMMSS-xxxxxx` (UTC, then 24 random bits so concurrent creates never collide).
 */
export const ID_PATTERN = /^\d{8}-\d{6}-[0-9a-f]{6}$/;

export const PROVIDER_NAMES = ['clone', 'apfs', 'btrfs', 'zfs'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

export const TRIGGERS = ['manual', 'schedule', 'git-commit', 'npm-install', 'safety'] as const;
export type Trigger = (typeof TRIGGERS)[number];

/** `ready`: can be rolled back to. `vanished`: the provider no longer has it (e.g. macOS thinned it). */
export const SNAPSHOT_STATES = ['ready', 'vanished'] as const;
export type SnapshotState = (typeof SNAPSHOT_STATES)[number];

export const MAX_TAG_LENGTH = 200;

/**
 * Tags are free text shown in the UI and CLI. Control characters are refused because they would let a tag
 * rewrite a terminal line or a log; everything else (quotes, `$()`, `;`) is stored as plain text and is
 * never interpreted.
 */
export const tagSchema = z
  .string()
  .max(MAX_TAG_LENGTH, `a tag is at most ${MAX_TAG_LENGTH} characters`)
  // eslint-disable-next-line no-control-regex
  .refine((t) => !/[\u0000-\u001f\u007f]/.test(t), 'a tag cannot hold control characters (newlines, tabs, NUL)');

export const snapshotRecordSchema = z.object({
  id: z.string().regex(ID_PATTERN),
  provider: z.enum(PROVIDER_NAMES),
  target: z.string().min(1),
  tag: tagSchema.nullable(),
  trigger: z.enum(TRIGGERS),
  createdAt: z.iso.datetime(),
  /** Bytes of file content the snapshot holds (what a full copy would take). */
  size: z.number().int().nonnegative(),
  /** Bytes this snapshot added to the store; the rest is shared with earlier snapshots. */
  addedBytes: z.number().int().nonnegative(),
  files: z.number().int().nonnegative(),
  state: z.enum(SNAPSHOT_STATES),
  /** Provider-specific handle (clone: manifest id; btrfs: subvolume path; zfs: dataset@snap; apfs: name). */
  ref: z.string().min(1),
  /** Where the user asked for it to come from, e.g. the commit or command that triggered it. */
  note: z.string().max(2000).nullable().default(null),
});
export type SnapshotRecord = z.infer<typeof snapshotRecordSchema>;

export const rollbackRecordSchema = z.object({
  at: z.iso.datetime(),
  target: z.string().min(1),
  /** The snapshot the target was rolled back to. */
  snapshotId: z.string(),
  /** The snapshot of the state just before: undoing the rollback restores it. */
  safetyId: z.string(),
  paths: z.array(z.string()).nullable(),
  kind: z.enum(['rollback', 'undo']),
});
export type RollbackRecord = z.infer<typeof rollbackRecordSchema>;

export const storeFileSchema = z.object({
  version: z.literal(1),
  snapshots: z.array(snapshotRecordSchema),
  rollbacks: z.array(rollbackRecordSchema),
});
export type StoreFile = z.infer<typeof storeFileSchema>;

export function emptyStore(): StoreFile {
  return { version: 1, snapshots: [], rollbacks: [] };
}
