/**
 * The admin console: static HTML, CSS and ES modules (no build step) that call the JSON API.
 * Every path under /admin that is not a file gets index.html (the console routes by hash).
 */
import path from 'node:path';
import express, { type Router } from 'express';

const PUBLIC = path.join(__dirname, 'public');

export function createConsoleRouter(): Router {
  const r = express.Router();
  r.use((_req, res, next) => {
    res.setHeader(
      'Content-Security-Policy',
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    );
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'same-origin');
    next();
  });
  r.use(express.static(PUBLIC, { index: 'index.html', maxAge: 0 }));
  r.use((_req, res) => res.sendFile(path.join(PUBLIC, 'index.html')));
  return r;
}
