import { z } from 'zod';
import { ID_PATTERN, MAX_TAG_LENGTH } from './model.js';
import type { ApiMethod, ApiRequest } from './api.js';

/**
 * The validators for every API request, applied on the trusted side (IPC handler, HTTP server) before the
 * core sees anything. Kept apart from api.ts so that the popover bundle does not carry zod.
 */
const id = z.string().regex(ID_PATTERN, 'not a snapshot id');
const relPath = z.string().min(1).max(4096).refine((p) => !p.includes('\0') && !p.startsWith('/') && !p.split('/').some((s) => s === '..' || s === '.' || s === ''), 'must be a path inside the folder, without .. segments');
const absFolder = z.string().min(1).max(4096).refine((p) => p.startsWith('/') && !p.includes('\0'), 'must be an absolute folder path');

/** Each method's validator; its output type must be the method's declared request type. */
export const apiRequestSchemas: { [M in ApiMethod]: z.ZodType<ApiRequest<M>> } = {
  status: z.object({}).strict(),
  list: z.object({ target: absFolder.optional() }).strict(),
  create: z.object({ target: absFolder.optional(), tag: z.string().max(MAX_TAG_LENGTH).nullable().optional() }).strict(),
  delete: z.object({ id }).strict(),
  diff: z.object({ id, paths: z.array(relPath).max(1000).nullable().optional(), keepGit: z.boolean().optional() }).strict(),
  fileDiff: z.object({ id, path: relPath }).strict(),
  rollback: z.object({ id, paths: z.array(relPath).max(1000).nullable().optional(), keepGit: z.boolean().optional() }).strict(),
  undo: z.object({ target: absFolder.optional() }).strict(),
  retry: z.object({ target: absFolder }).strict(),
  getSettings: z.object({}).strict(),
  setSettings: z.object({ settings: z.unknown() }).strict(),
  setPaused: z.object({ paused: z.boolean() }).strict(),
  detect: z.object({ path: absFolder }).strict(),
  checkSchedule: z.object({ schedule: z.string().max(1000) }).strict(),
  searchFiles: z.object({ target: absFolder, query: z.string().min(1).max(1000) }).strict(),
  fileHistory: z.object({ target: absFolder, path: relPath }).strict(),
  restoreFile: z.object({ id, path: relPath, to: relPath.optional() }).strict(),
};


