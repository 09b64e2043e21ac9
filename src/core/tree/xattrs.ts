import { createRequire } from 'node:module';
import { errnoCode } from '../base/errors.js';
import { hasEscapes } from './names.js';

interface XattrBinding {
  listAttributesSync(path: string): string[];
  getAttributeSync(path: string, name: string): Buffer | null;
  setAttributeSync(path: string, name: string, value: Uint8Array): void;
  removeAttributeSync(path: string, name: string): void;
}

let binding: XattrBinding | null | undefined;
let loadError = '';

/**
 * Extended attributes (Linux ACLs are `system.posix_acl_*`, macOS keeps Finder tags, quarantine flags and
 * resource forks as `com.apple.*`) through @napi-rs/xattr, a prebuilt N-API module: npm runs no install
 * scripts, so nothing may need building. Its calls never follow a symlink. Null where it has no build.
 */
function xattrBinding(): XattrBinding | null {
  if (binding === undefined) {
    try {
      binding = createRequire(import.meta.url)('@napi-rs/xattr') as XattrBinding;
    } catch (err) {
      binding = null;
      loadError = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
    }
  }
  return binding;
}

/**
 * Why extended attributes cannot be kept on this machine, or null when they can: without the binding a walk
 * cannot even see them, so this is said once (`snapctl info`, the app's problems) instead of per file.
 */
export function xattrsUnavailable(): string | null {
  if (xattrBinding()) return null;
  return `extended attributes (ACLs, Finder tags, quarantine flags, resource forks) are not kept here: @napi-rs/xattr has no build for ${process.platform}-${process.arch} installed (${loadError}); reinstall snapctl`;
}

export type Xattrs = Record<string, string>;

/**
 * An entry's extended attributes, base64 by name; undefined when it has none (or the binding is missing),
 * 'unreadable' when they exist but cannot be read. Names that are not UTF-8 cannot reach the binding and are
 * reported by the caller's walk as not kept.
 */
export function readXattrs(path: string): Xattrs | undefined | 'unreadable' {
  const x = xattrBinding();
  if (!x || hasEscapes(path)) return undefined;
  let names: string[];
  try {
    names = x.listAttributesSync(path);
  } catch (err) {
    const code = errnoCode(err);
    return code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOENT' || isUnsupported(err) ? undefined : 'unreadable';
  }
  if (names.length === 0) return undefined;
  const out: Xattrs = {};
  for (const name of names.sort()) {
    try {
      const value = x.getAttributeSync(path, name);
      if (value) out[name] = value.toString('base64');
    } catch {
      return 'unreadable';
    }
  }
  return out;
}

/**
 * Makes `path`'s extended attributes exactly `wanted` (extra ones removed, e.g. a default ACL a new file
 * inherited). Returns the names that could not be set (a filesystem without them, a `security.*` name that
 * needs privileges), for the restore to report; never follows a symlink.
 */
export function writeXattrs(path: string, wanted: Xattrs | undefined): string[] {
  const x = xattrBinding();
  if (!x || hasEscapes(path)) return wanted ? Object.keys(wanted) : [];
  const failed: string[] = [];
  let present: string[] = [];
  try { present = x.listAttributesSync(path); } catch { /* none can be listed: set what is wanted */ }
  for (const name of present) {
    if (wanted && name in wanted) continue;
    try { x.removeAttributeSync(path, name); } catch { failed.push(name); }
  }
  for (const [name, value] of Object.entries(wanted ?? {})) {
    const bytes = Buffer.from(value, 'base64');
    try {
      const now = present.includes(name) ? x.getAttributeSync(path, name) : null;
      if (!now?.equals(bytes)) x.setAttributeSync(path, name, bytes);
    } catch {
      failed.push(name);
    }
  }
  return failed;
}

function isUnsupported(err: unknown): boolean {
  return err instanceof Error && /not supported|Operation not supported/i.test(err.message);
}
