// fs-native-extensions ships no types. Only what locks.ts uses.
declare module 'fs-native-extensions' {
  /** An exclusive (or shared) lock on the open file description of `fd`; false when another holds it. */
  export function tryLock(fd: number, offset?: number, length?: number, options?: { shared?: boolean }): boolean;
}
