// picomatch ships no types; @types/picomatch could not be installed offline. The glob tests use it as an oracle.
declare module 'picomatch' {
  interface PicomatchOptions { dot?: boolean; basename?: boolean; nocase?: boolean }
  function picomatch(pattern: string, options?: PicomatchOptions): (input: string) => boolean;
  export default picomatch;
}
