/**
 * The service's private temp folder (uploads waiting for their preview to be confirmed): under
 * the data folder, not the shared system temp, readable by the service's user only (0700).
 */
import fs from 'node:fs';
import path from 'node:path';

/**
 * Creates `dir` (0700, also when it existed with wider rights) and sweeps what earlier runs
 * left there: every entry last changed more than `maxAgeMs` ago (a younger one may belong to
 * another instance sharing the folder, whose uploads live that long at most).
 */
export function preparePrivateDir(dir: string, maxAgeMs: number, now = Date.now()): { swept: number } {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
  let swept = 0;
  for (const name of fs.readdirSync(dir)) {
    const entry = path.join(dir, name);
    try {
      if (now - fs.lstatSync(entry).mtimeMs > maxAgeMs) {
        fs.rmSync(entry, { recursive: true, force: true });
        swept += 1;
      }
    } catch {
      // Gone meanwhile (another instance swept it): nothing to do.
    }
  }
  return { swept };
}
