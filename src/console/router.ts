/**
 * The admin console: static HTML, CSS and ES modules (no build step) that call the JSON API.
 * Every path under /admin that is not a file gets index.html (the console routes by hash).
 * Its security headers (CSP, no framing, …) are the service's, set on every route (http/server.ts).
 */
import path from 'node:path';
import express, { type Router } from 'express';

const PUBLIC = path.join(__dirname, 'public');

export function createConsoleRouter(): Router {
  const r = express.Router();
  r.use(express.static(PUBLIC, { index: 'index.html', maxAge: 0 }));
  r.use((_req, res) => res.sendFile(path.join(PUBLIC, 'index.html')));
  return r;
}
