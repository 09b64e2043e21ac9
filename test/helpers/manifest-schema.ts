import { z } from 'zod';
import type { Manifest } from '../../src/core/tree/manifest.js';

/**
 * The manifest file, stated with zod: the specification that the hand-written checkManifest (fast enough
 * for 20,000-entry manifests read on every rollback) is held to by test/core/tree/manifest.test.ts.
 */
/** Relative, `/`-separated, no empty, `.` or `..` segment, no NUL or backslash: it cannot leave the target. */
const safePath = z.string().refine((p) => !p.startsWith('/') && !p.includes('\0') && p.split('/').every((s) => s !== '' && s !== '.' && s !== '..'));
/** Owner and extended attributes (base64 by name), optional: older manifests have neither. */
const meta = {
  uid: z.number().int().nonnegative().optional(),
  gid: z.number().int().nonnegative().optional(),
  xattrs: z.record(z.string(), z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/)).optional(),
  ino: z.string().regex(/^\d{1,30}$/).optional(),
  ctimeNs: z.string().regex(/^\d{1,30}$/).optional(),
};

export const manifestEntrySchema = z.discriminatedUnion('type', [
  z.object({ path: safePath, type: z.literal('dir'), mode: z.number().int(), mtimeNs: z.string(), ...meta }),
  z.object({
    path: safePath,
    type: z.literal('file'),
    mode: z.number().int(),
    mtimeNs: z.string(),
    size: z.number().int().nonnegative(),
    // Named by content (its hash's 64 hex digits), or at random when the filesystem cloned it.
    oid: z.string().regex(/^(?:[0-9a-f]{32}|[0-9a-f]{64})$/),
    // SHA-256, or the blocks hash of a large file with holes. Older manifests may have none: read as null.
    hash: z.string().regex(/^(?:blocks1:)?[0-9a-f]{64}$/).nullable().default(null),
    nlink: z.number().int().min(1).optional(),
    sparse: z.boolean().optional(),
    ...meta,
  }),
  z.object({ path: safePath, type: z.literal('symlink'), mtimeNs: z.string(), link: z.string(), ...meta }),
]);

export const manifestSchema = z.object({
  version: z.literal(1),
  id: z.string(),
  target: z.string(),
  createdAt: z.string(),
  entries: z.array(manifestEntrySchema),
  /** Paths not kept as they were (sockets, FIFOs, unreadable or still-changing files), with the reason. */
  problems: z.array(z.object({ path: z.string(), reason: z.string() })),
}).refine((m) => {
  // Nothing can lie beneath a symlink: such a path would be written through the link.
  const links = new Set(m.entries.filter((e) => e.type === 'symlink').map((e) => e.path));
  return m.entries.every((e) => !e.path.split('/').slice(0, -1).some((_, i, parts) => links.has(parts.slice(0, i + 1).join('/'))));
});

// The schema and the Manifest type must describe the same thing; a mismatch fails the type-check.
export const manifestSchemaAgrees: [z.infer<typeof manifestSchema>] extends [Manifest] ? ([Manifest] extends [z.infer<typeof manifestSchema>] ? true : never) : never = true;
