import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { dispatch, type DispatchContext } from './dispatch.js';
import { HTTP_API_PATH, TOKEN_COOKIE } from '../shared/api.js';

export interface HeadlessServer {
  url: string;
  /** The URL with the token, to open in a browser. */
  loginUrl: string;
  token: string;
  port: number;
  close: () => Promise<void>;
}

export interface ServerOptions {
  context: DispatchContext;
  /** The built popover (index.html, app.js, app.css). */
  staticDir: string;
  port?: number;
  token?: string;
  /** How long connections may stay idle or be slow (tests shorten them). */
  timeouts?: Partial<ServerTimeouts>;
}

export interface ServerTimeouts {
  /** An idle keep-alive connection closes after this long. */
  keepAliveMs: number;
  /** A connection must send a request's headers within this long (also one that sends nothing). */
  headersMs: number;
  /** ... and the whole request within this long. */
  requestMs: number;
  /** How often the two above are checked (Node's default, 30 s, let a silent connection stay 40 s). */
  checkEveryMs: number;
}

const TIMEOUTS: ServerTimeouts = { keepAliveMs: 5_000, headersMs: 10_000, requestMs: 30_000, checkEveryMs: 1_000 };

const STATIC_FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
  '/icon.svg': { file: 'icon.svg', type: 'image/svg+xml' },
};

export const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const MAX_BODY = 1024 * 1024;

/**
 * Serves the popover and its API on 127.0.0.1 only. Every request must carry the random token (a cookie set
 * from the printed URL, or a bearer header for scripts); the Host header must name this loopback address
 * (DNS-rebinding defence) and a browser's Origin must be this server (CSRF defence); API bodies are validated
 * against the same contract as IPC.
 */
export async function startServer(options: ServerOptions): Promise<HeadlessServer> {
  const token = options.token ?? randomBytes(32).toString('base64url');
  const tokenBuf = Buffer.from(token);
  let port = 0;
  const allowedHosts = (): Set<string> => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const allowedOrigins = (): Set<string> => new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);
  const tokenMatches = (candidate: string | undefined): boolean => {
    if (!candidate) return false;
    const c = Buffer.from(candidate);
    return c.length === tokenBuf.length && timingSafeEqual(c, tokenBuf);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    securityHeaders(res);
    if (!allowedHosts().has(req.headers.host ?? '')) return send(res, 421, 'text/plain', 'wrong Host header\n');
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins().has(origin)) return send(res, 403, 'text/plain', 'wrong Origin\n');
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const cookieToken = parseCookies(req.headers.cookie)[TOKEN_COOKIE];
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];

    if (req.method === 'GET' && url.pathname === '/' && url.searchParams.has('token')) {
      if (!tokenMatches(url.searchParams.get('token') ?? undefined)) return send(res, 401, 'text/plain', 'wrong token: open the URL snapctl serve printed\n');
      // Move the token from the URL (history, screenshots) into a cookie scripts cannot read.
      res.setHeader('Set-Cookie', `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`);
      res.setHeader('Location', '/');
      return send(res, 303, 'text/plain', 'signed in\n');
    }
    if (!tokenMatches(cookieToken) && !tokenMatches(bearer)) {
      return send(res, 401, 'text/plain', 'this snapctl server needs its token: open the URL snapctl serve printed\n');
    }

    if (req.method === 'POST' && url.pathname === HTTP_API_PATH) {
      // A browser request authenticated by cookie must come from this page (the Origin check above).
      if (!bearer && origin === undefined) return send(res, 403, 'text/plain', 'missing Origin\n');
      if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) return send(res, 415, 'text/plain', 'send application/json\n');
      let body: unknown;
      try {
        body = JSON.parse(await readBody(req));
      } catch (err) {
        if (err instanceof BodyTooLarge) {
          res.setHeader('Connection', 'close');
          return sendJson(res, 413, { ok: false, kind: 'usage', error: `request too large: a request may hold at most ${MAX_BODY / 1024 / 1024} MB` });
        }
        return sendJson(res, 400, { ok: false, kind: 'usage', error: 'the body is not JSON' });
      }
      const { method, params } = (typeof body === 'object' && body !== null ? body : {}) as { method?: unknown; params?: unknown };
      const result = await dispatch(options.context, method, params);
      return sendJson(res, result.ok ? 200 : result.kind === 'usage' ? 400 : 200, result);
    }

    const asset = req.method === 'GET' ? STATIC_FILES[url.pathname] : undefined;
    if (!asset) return send(res, 404, 'text/plain', 'not found\n');
    try {
      const data = await readFile(path.join(options.staticDir, asset.file));
      return send(res, 200, asset.type, data);
    } catch {
      return send(res, 500, 'text/plain', "the popover is not built: run 'npm run build'\n");
    }
  };

  const limits = { ...TIMEOUTS, ...options.timeouts };
  const server: Server = createServer({ connectionsCheckingInterval: limits.checkEveryMs }, (req, res) => {
    handle(req, res).catch(() => { if (!res.headersSent) send(res, 500, 'text/plain', 'internal error\n'); else res.destroy(); });
  });
  server.keepAliveTimeout = limits.keepAliveMs;
  server.headersTimeout = limits.headersMs;
  server.requestTimeout = limits.requestMs;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}/`;
  return {
    url,
    loginUrl: `${url}?token=${token}`,
    token,
    port,
    // Stops accepting, then ends every connection: idle ones, and those waiting on an answer (a stopping
    // serve gives none; its long queries are ended with it, see QueryPool.stop).
    close: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeIdleConnections(); server.closeAllConnections(); }),
  };
}

class BodyTooLarge extends Error {}

/**
 * A body too large for the API is read to its end and dropped, so the client gets its 413 answer: a socket
 * closed with unread data is reset, and the client sees the reset instead. Past DISCARD_MAX it is closed.
 */
const DISCARD_MAX = 64 * MAX_BODY;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > DISCARD_MAX) { reject(new BodyTooLarge()); req.destroy(); return; }
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on('end', () => { if (size > MAX_BODY) reject(new BodyTooLarge()); else resolve(Buffer.concat(chunks).toString('utf8')); });
    req.on('error', reject);
  });
}

function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

function securityHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.statusCode = status;
  res.setHeader('Content-Type', type);
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
}
