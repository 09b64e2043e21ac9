import { usageError } from '../base/errors.js';
import { ID_PATTERN } from '../../shared/model.js';
import { nodeCrypto } from '../base/lazy-crypto.js';

export function newSnapshotId(now: Date = new Date()): string {
  const iso = now.toISOString(); // 2026-11-24T21:55:00.000Z
  const stamp = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
  return `${stamp}-${nodeCrypto().randomBytes(3).toString('hex')}`;
}

export function isSnapshotId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value);
}

/** Validates an id from any outside source (CLI, IPC, HTTP) before it is used to name a file. */
export function parseSnapshotId(value: unknown): string {
  if (isSnapshotId(value)) return value;
  const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 80)) : typeof value;
  throw usageError(`not a snapshot id: ${shown}`, "ids look like 20261124-215500-a1b2c3; run 'snapctl list' to see them");
}
