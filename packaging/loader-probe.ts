// Run as its own process: `node loader-probe.js '{"root":…,"module":…,"platform":…,"arch":…,"load":false}'`.
// Requires a native module's loader package from `root` as the app would on `platform`/`arch`, and prints
// (JSON) which `.node` files it opened. With load=false the platform is pretended and nothing is opened (the
// binary may be for another machine); with load=true the binaries are really loaded, on this machine.
import Module, { createRequire } from 'node:module';
import path from 'node:path';

export interface ProbeRequest { root: string; module: string; platform: string; arch: string; load: boolean }
export interface ProbeAnswer { ok: boolean; opened: string[]; error?: string }

type NodeLoader = (module: { exports: unknown }, filename: string) => void;
const extensions = (Module as unknown as { _extensions: Record<string, NodeLoader> })._extensions;

function probe(request: ProbeRequest): ProbeAnswer {
  const opened: string[] = [];
  const original = extensions['.node'];
  extensions['.node'] = (module, filename) => {
    opened.push(filename);
    if (request.load && original) original(module, filename);
    else module.exports = {};
  };
  if (!request.load) {
    Object.defineProperty(process, 'platform', { value: request.platform });
    Object.defineProperty(process, 'arch', { value: request.arch });
    // Loaders tell glibc from musl by the process report (or /usr/bin/ldd): the packages are glibc builds.
    const report = { header: { glibcVersionRuntime: request.platform === 'linux' ? '2.31' : undefined }, sharedObjects: [] as string[] };
    Object.defineProperty(process, 'report', { value: { ...process.report, getReport: () => report } });
  }
  try {
    createRequire(path.join(request.root, 'loader-probe.cjs'))(request.module);
    return { ok: true, opened };
  } catch (err) {
    // A loader that checks what it loaded (koffi) rejects the empty stand-in and tries its next binary, then
    // gives up: the first binary it opened is the one it would have used.
    const first = opened[0];
    if (!request.load && first !== undefined) return { ok: true, opened: [first] };
    return { ok: false, opened, error: err instanceof Error ? err.message.split('\n')[0] ?? '' : String(err) };
  }
}

process.stdout.write(JSON.stringify(probe(JSON.parse(process.argv[2] ?? '{}') as ProbeRequest)));
