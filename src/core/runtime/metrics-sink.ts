import { createRequire } from 'node:module';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, isIP, type Socket as StreamSocket } from 'node:net';
import { Writable } from 'node:stream';
import type { DgramSocket } from 'node-unix-socket';
import type { MetricsDestination } from './metrics-target.js';

/** What became of each datagram: the sink's owner counts them (health, `snapctl status`). */
export interface SendObserver {
  sent(): void;
  failed(err: Error): void;
}

/**
 * A writable stream of DogStatsD datagrams, one per write, handed to hot-shots' `stream` protocol. Every
 * transport goes through here so that each send's outcome is known the same way; a failed send is reported
 * and never errors the stream, which would end it for good (the agent may start later).
 */
export class MetricsSink extends Writable {
  private inFlight = 0;
  private readonly idle: (() => void)[] = [];

  private constructor(private readonly send: (datagram: Buffer, done: (err: Error | null) => void) => void, private readonly closeTransport: () => void, private readonly observer: SendObserver) {
    super({ decodeStrings: true, highWaterMark: 64 * 1024 });
  }

  /** Throws when the transport cannot exist here (the Unix datagram socket's native part is missing). */
  static open(destination: MetricsDestination, observer: SendObserver): MetricsSink {
    switch (destination.kind) {
      case 'udp': return udpSink(destination.host, destination.port, observer);
      case 'unixgram': return unixgramSink(destination.path, observer);
      case 'unix': return unixStreamSink(destination.path, observer);
    }
  }

  static create(send: (datagram: Buffer, done: (err: Error | null) => void) => void, close: () => void, observer: SendObserver): MetricsSink {
    return new MetricsSink(send, close, observer);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.inFlight++;
    let settled = false;
    const done = (err: Error | null): void => {
      if (settled) return;
      settled = true;
      this.inFlight--;
      if (err) this.observer.failed(err); else this.observer.sent();
      callback();
      if (this.inFlight === 0 && this.writableLength === 0) for (const wake of this.idle.splice(0)) wake();
    };
    try { this.send(chunk, done); } catch (err) { done(err instanceof Error ? err : new Error(String(err))); }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    try { this.closeTransport(); } catch { /* closing a socket that never opened */ }
    for (const wake of this.idle.splice(0)) wake();
    callback(error);
  }

  /** Datagrams written but not yet handed to the kernel (or failed). */
  get pending(): number {
    return this.inFlight + this.writableLength;
  }

  /** Resolves true once every datagram written so far has been sent or has failed; false after `ms`. */
  drained(ms: number): Promise<boolean> {
    if (this.pending === 0 || this.destroyed) return Promise.resolve(this.pending === 0);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      this.idle.push(() => { clearTimeout(timer); resolve(true); });
    });
  }
}

function udpSink(host: string, port: number, observer: SendObserver): MetricsSink {
  let socket: UdpSocket | null = null;
  const open = (): UdpSocket => {
    if (socket) return socket;
    const made = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
    made.on('error', () => undefined); // each send reports its own error
    made.unref(); // metrics never keep a process alive
    socket = made;
    return made;
  };
  return MetricsSink.create((datagram, done) => open().send(datagram, port, host, (err) => done(err)), () => socket?.close(), observer);
}

type UnixSocketModule = typeof import('node-unix-socket');

/**
 * Node has no AF_UNIX SOCK_DGRAM; node-unix-socket has one as a prebuilt N-API addon (per-platform packages,
 * no install script, loads in Electron too). Required when first used, so only a Unix datagram sink loads it.
 */
function loadUnixSockets(): UnixSocketModule {
  try {
    return createRequire(import.meta.url)('node-unix-socket') as UnixSocketModule;
  } catch (err) {
    throw new Error(`Unix datagram sockets need the node-unix-socket package's prebuilt binary for ${process.platform}-${process.arch}, which is not installed (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); use the agent's stream socket (unix:///path, dogstatsd_stream_socket) or UDP instead`);
  }
}

function unixgramSink(path: string, observer: SendObserver): MetricsSink {
  const { DgramSocket } = loadUnixSockets();
  let socket: DgramSocket | null = null;
  const open = (): DgramSocket => {
    if (socket) return socket;
    const made = new DgramSocket();
    made.on('error', () => undefined); // each send reports its own error
    socket = made;
    return made;
  };
  return MetricsSink.create((datagram, done) => {
    open().sendTo(datagram, 0, datagram.length, path, (err) => done(err ? withPath(err, path) : null));
  }, () => socket?.close(), observer);
}

/**
 * DogStatsD over a Unix stream socket: each payload follows its length as 4 bytes, little-endian (the
 * agent's `unix` listener reads exactly that). Connected on first send and again after the agent went away.
 */
function unixStreamSink(path: string, observer: SendObserver): MetricsSink {
  let socket: StreamSocket | null = null;
  const open = (): StreamSocket => {
    if (socket && !socket.destroyed) return socket;
    const made = connect(path);
    made.on('error', () => undefined); // the write reports it
    made.unref();
    socket = made;
    return made;
  };
  return MetricsSink.create((datagram, done) => {
    const frame = Buffer.allocUnsafe(4 + datagram.length);
    frame.writeUInt32LE(datagram.length, 0);
    datagram.copy(frame, 4);
    const s = open();
    // An unreachable socket fails the connect, and a pending write's callback may never come: settle on both.
    const onError = (err: Error): void => done(withPath(err, path));
    s.once('error', onError);
    s.write(frame, (err) => { s.off('error', onError); done(err ? withPath(err, path) : null); });
  }, () => socket?.destroy(), observer);
}

/** The error with the socket's path in its message, keeping its code (the health's words are chosen by it). */
function withPath(err: Error, path: string): Error {
  if (err.message.includes(path)) return err;
  const code = (err as NodeJS.ErrnoException).code;
  return Object.assign(new Error(`${err.message} (${path})`), code === undefined ? {} : { code });
}
