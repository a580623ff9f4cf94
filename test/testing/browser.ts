import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO_ROOT } from './testRun.js';
import { waitFor } from './waitFor.js';

/** Debian's chromium, installed by scripts/install-chromium.sh (CI runs it before the tests). */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Why browser tests cannot run here, or undefined when they can. A fresh machine gets chromium from Debian through
 * the project's own script the first time a browser test asks (root needed); unit tests never do.
 */
export function chromiumMissing(): string | undefined {
  if (!existsSync(CHROMIUM)) {
    try {
      execFileSync(join(REPO_ROOT, 'scripts', 'install-chromium.sh'), { stdio: ['ignore', 'ignore', 'inherit'] });
    } catch {
      // reported below
    }
  }
  return existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is missing and scripts/install-chromium.sh could not install it: the browser tests need Debian's chromium`;
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}

/** The text of every element matching `selector` right now (no waiting). */
export async function textsOf(page: Page, selector: string): Promise<string[]> {
  return page.locator(selector).allTextContents();
}

/**
 * Waits until the texts of the elements matching `selector` satisfy `accept`; resolves with those texts. The page
 * re-renders on its own refresh timer, so this polls the DOM rather than expecting a change at any given moment.
 */
export async function waitForTexts(
  page: Page,
  selector: string,
  accept: (texts: string[]) => boolean,
  description: string,
  timeoutMs = 30_000,
): Promise<string[]> {
  let last: string[] = [];
  return waitFor(`${description} (${selector})`, async () => {
    last = await textsOf(page, selector);
    return accept(last) ? last : undefined;
  }, { timeoutMs, intervalMs: 100 }).catch((error: Error) => {
    throw new Error(`${error.message}; last seen: ${JSON.stringify(last)}`);
  });
}

/** A count such as "12,345" as a number (NaN for "—"). */
export function parseCount(text: string): number {
  return text.trim() === '—' ? Number.NaN : Number(text.replace(/,/g, ''));
}
