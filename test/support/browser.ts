/**
 * Browser tests drive Debian's chromium (never a downloaded build) through playwright-core.
 * They are skipped, with a message saying why, only when /usr/bin/chromium is absent; .ci/run
 * installs it. Screenshots go to test-artifacts/ (gitignored), kept after the run.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { ROOT } from './spawn';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const HAS_CHROMIUM = fs.existsSync(CHROMIUM);
export const ARTIFACTS = path.join(ROOT, 'test-artifacts');

export async function launchChromium(): Promise<{ browser: Browser; close(): Promise<void> }> {
  // playwright gives every launch a fresh temporary --user-data-dir of its own (it refuses one
  // passed in args), so no profile is shared between runs.
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--lang=zh-CN',
    ],
  });
  return {
    browser,
    async close() {
      await browser.close();
    },
  };
}

/** describe() when chromium is there, else one skipped test that says what is missing. */
export function describeBrowser(title: string, body: () => void): void {
  if (HAS_CHROMIUM) {
    describe(title, body);
  } else {
    describe(title, () => {
      it.skip(`skipped: ${CHROMIUM} is not installed (apt-get install chromium; .ci/run does this)`, () => undefined);
    });
    console.warn(`[browser tests] ${title}: skipped, ${CHROMIUM} is not installed`);
  }
}
