import { createSocket } from 'node:dgram';

/** A real DogStatsD stand-in: a UDP socket on loopback that keeps every line of every datagram it receives. */
export interface StatsdListener {
  port: number;
  received: string[];
  /** The first line matching `re`, waiting up to `ms` for it. */
  waitFor: (re: RegExp, ms?: number) => Promise<string>;
  /** Every line matching `re` so far. */
  all: (re: RegExp) => string[];
  clear: () => void;
  close: () => void;
}

export function collector(received: string[]): Pick<StatsdListener, 'waitFor' | 'all' | 'clear'> {
  return {
    waitFor: async (re, ms = 3_000) => {
      for (const until = Date.now() + ms; Date.now() < until;) {
        const hit = received.find((d) => re.test(d));
        if (hit) return hit;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`no datagram matching ${re}; got:\n${received.join('\n')}`);
    },
    all: (re) => received.filter((d) => re.test(d)),
    clear: () => { received.length = 0; },
  };
}

export async function listenUdp(): Promise<StatsdListener> {
  const socket = createSocket('udp4');
  const received: string[] = [];
  socket.on('message', (msg) => received.push(...msg.toString().split('\n').filter(Boolean)));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { port: socket.address().port, received, ...collector(received), close: () => { try { socket.close(); } catch { /* closed */ } } };
}
