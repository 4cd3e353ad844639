/**
 * The admin console: index.html and style.css (src/console/public) plus one script, app.js, the
 * bundle of src/console/app (TypeScript + Preact, see bundle.ts). A built service finds app.js
 * next to index.html (`npm run build` writes it there); run from the sources (`npm start`, the
 * tests) it is built in memory once, on the first request for it.
 * Every path under /admin that is not a file gets index.html (the console routes by hash).
 * Its security headers (CSP, no framing, …) are the service's, set on every route (http/server.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import express, { type Router } from 'express';
import { buildConsoleBundle, consoleEntry } from './bundle';

const PUBLIC = path.join(__dirname, 'public');
const PREBUILT = path.join(PUBLIC, 'app.js');

let inMemory: Promise<string> | null = null;
function bundleFromSources(): Promise<string> {
  if (!inMemory) {
    inMemory = buildConsoleBundle(consoleEntry(__dirname));
    // A failed build is tried again on the next request (e.g. after fixing a syntax error).
    inMemory.catch(() => (inMemory = null));
  }
  return inMemory;
}

export function createConsoleRouter(): Router {
  const r = express.Router();
  if (!fs.existsSync(PREBUILT)) {
    r.get('/app.js', (_req, res, next) => {
      bundleFromSources().then(
        (js) => res.type('application/javascript').set('Cache-Control', 'no-cache').send(js),
        next,
      );
    });
  }
  r.use(express.static(PUBLIC, { index: 'index.html', maxAge: 0 }));
  r.use((_req, res) => res.sendFile(path.join(PUBLIC, 'index.html')));
  return r;
}
