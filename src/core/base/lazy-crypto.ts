import { createRequire } from 'node:module';

type NodeCrypto = typeof import('node:crypto');
let loaded: NodeCrypto | undefined;

/**
 * node:crypto, loaded on first use: it costs every command ~4 ms at start-up (measured on `snapctl list`,
 * which never needs it), while ids, temp names and lock keys are only made by commands that write.
 */
export function nodeCrypto(): NodeCrypto {
  loaded ??= createRequire(import.meta.url)('node:crypto') as NodeCrypto;
  return loaded;
}
