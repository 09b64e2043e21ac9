/**
 * Paths left out of a walk, a comparison and a restore (snapctl's own temp files, a provider's own folder, what
 * the excludes leave alone), by their path relative to the folder.
 */
export type PathFilter = (relPath: string) => boolean;
