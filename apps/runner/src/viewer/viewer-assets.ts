import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NextFunction, Request, Response } from 'express';

/**
 * The viewer's Content-Security-Policy: scripts, styles and connections from this origin only, no inline script or
 * style, no plugins, no `<base>`, never framed. With every stored text put in the page as text (the viewer builds its
 * DOM with `textContent`), this is the second wall: even markup that got in could run nothing.
 */
export const VIEWER_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** One file of the viewer, read into memory at start (a few dozen kilobytes in all). */
interface Asset {
  body: Buffer;
  type: string;
}

/**
 * The folder of the built viewer: `dist/viewer` of the package this module belongs to (found by walking up to the
 * package's own package.json), so that the files served are the ones built into the package, never the sources.
 */
export function viewerDir(from = fileURLToPath(import.meta.url)): string | null {
  let dir = path.dirname(from);
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'beacon') {
          const built = path.join(dir, 'dist', 'viewer');
          return existsSync(path.join(built, 'index.html')) ? built : null;
        }
      } catch {
        /* not ours: keep walking */
      }
    }
    const up = path.dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

function loadAssets(dir: string | null): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  if (!dir) return assets;
  for (const name of readdirSync(dir)) {
    const type = TYPES[path.extname(name)];
    if (type) assets.set(name, { body: readFileSync(path.join(dir, name)), type });
  }
  return assets;
}

/**
 * Serves the viewer: `GET /` is its page, `GET /viewer/<file>` its scripts and styles, each with the strict CSP and
 * the headers that keep it from being framed, sniffed or referred. Everything else goes on to the API. The page holds
 * no data: what it shows, it reads from the API with the user's token.
 */
export function viewerAssets(dir = viewerDir()): (req: Request, res: Response, next: NextFunction) => void {
  const assets = loadAssets(dir);
  return (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const url = req.path;
    let name: string | null = null;
    if (url === '/' || url === '/index.html') name = 'index.html';
    else if (url.startsWith('/viewer/')) name = url.slice('/viewer/'.length);
    if (name === null) return next();
    const asset = /^[A-Za-z0-9_-]+\.[a-z]+$/.test(name) ? assets.get(name) : undefined;
    setViewerHeaders(res);
    if (!asset) {
      const missing = assets.size === 0;
      res
        .status(missing ? 503 : 404)
        .type('text/plain')
        .send(missing ? 'the viewer is not built into this package (npm run build)\n' : 'not found\n');
      return;
    }
    res.status(200).setHeader('content-type', asset.type);
    res.setHeader('content-length', String(asset.body.length));
    if (req.method === 'HEAD') res.end();
    else res.end(asset.body);
  };
}

function setViewerHeaders(res: Response): void {
  res.setHeader('content-security-policy', VIEWER_CSP);
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('cross-origin-opener-policy', 'same-origin');
  res.setHeader('cache-control', 'no-cache');
}
