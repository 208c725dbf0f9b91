import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { FakeClock } from '../../support/fake-clock';

/** Debian's Chromium; PAT_CHROMIUM points elsewhere (another build, or a missing path to see the suite refuse under CI). */
export const CHROMIUM = process.env.PAT_CHROMIUM ?? '/usr/bin/chromium';
export const HAS_CHROMIUM = existsSync(CHROMIUM);

const ROOT = resolve(__dirname, '../../..');

/** Builds the real page (the same Vite build as `npm run build`) into a scratch folder. */
export function buildPage(): string {
  const outDir = mkdtempSync(join(tmpdir(), 'pat-page-build-'));
  execFileSync(
    process.execPath,
    [
      join(ROOT, 'node_modules/vite/bin/vite.js'),
      'build',
      '--config',
      join(ROOT, 'libs/personal-access-tokens/src/page/web/vite.config.mts'),
      '--outDir',
      outDir,
      '--emptyOutDir',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return outDir;
}

/**
 * Debian's Chromium, headless, with the network chatter this machine refuses switched off.
 * Playwright gives every launch a new, empty profile (its own --user-data-dir).
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
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
    ],
  });
}

const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; html: string }[];
}

/** axe-core's serious and critical violations on the page as it is now (WCAG 2.x A and AA rules). */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  // Evaluated through the DevTools protocol, so the page's own CSP does not apply to the checker.
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (context: Document, options: object) => Promise<{ violations: AxeViolation[] }> } })
      .axe;
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => ({ target: n.target, html: n.html })),
    }));
  });
  return violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
}

/** Server time that runs with the wall clock (the browser's), and can be moved ahead to expire tokens. */
export class LiveClock extends FakeClock {
  private offset = 0;

  override now(): Date {
    return new Date(Date.now() + this.offset);
  }

  override advance(ms: number): void {
    this.offset += ms;
  }
}

/** Everything the browser keeps for the page's origin that a script or a person could find a secret in. */
export async function browserStorage(page: Page): Promise<string> {
  const fromPage = await page.evaluate(async () => {
    const dump = (storage: Storage) => Object.entries({ ...storage }).join('\n');
    const databases = 'databases' in indexedDB ? await indexedDB.databases() : [];
    const caches = 'caches' in window ? await window.caches.keys() : [];
    return [
      dump(localStorage),
      dump(sessionStorage),
      document.cookie,
      JSON.stringify(databases),
      JSON.stringify(caches),
      location.href,
      String(history.length),
    ].join('\n');
  });
  const cookies = await page.context().cookies();
  const storageState = await page.context().storageState();
  return [fromPage, JSON.stringify(cookies), JSON.stringify(storageState)].join('\n');
}

type Locator = ReturnType<Page['locator']>;
type Text = string | RegExp;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads until the assertion holds (the page updates asynchronously), else fails with its last message. */
async function until<T>(read: () => Promise<T>, assert: (value: T) => void, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    try {
      assert(value);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await sleep(100);
  }
}

const texts = async (locator: Locator) => (await locator.allInnerTexts()).map((text) => text.replace(/\s+/g, ' ').trim());
const matches = (text: string, expected: Text) => (typeof expected === 'string' ? text === expected : expected.test(text));

/** What a person sees, asserted with retries (playwright-core has no `expect` of its own). */
export const see = {
  visible: (locator: Locator) => locator.first().waitFor({ state: 'visible' }),
  hidden: (locator: Locator) => locator.first().waitFor({ state: 'hidden' }),
  /** One of the matched elements has this text (or, given a list, the elements have these texts in order). */
  text: (locator: Locator, expected: Text | Text[]) =>
    until(
      () => texts(locator),
      (found) => {
        const ok = Array.isArray(expected)
          ? found.length === expected.length && found.every((text, i) => matches(text, expected[i]))
          : found.some((text) => matches(text, expected));
        if (!ok) throw new Error(`expected text ${String(expected)}, found ${JSON.stringify(found)}`);
      },
    ),
  contains: (locator: Locator, expected: string) =>
    until(
      () => texts(locator),
      (found) => {
        if (!found.join('\n').includes(expected)) throw new Error(`expected "${expected}" in ${JSON.stringify(found)}`);
      },
    ),
  count: (locator: Locator, expected: number) =>
    until(
      () => locator.count(),
      (found) => {
        if (found !== expected) throw new Error(`expected ${expected} elements, found ${found}`);
      },
    ),
  attr: (locator: Locator, name: string, expected: string) =>
    until(
      () => locator.getAttribute(name),
      (found) => {
        if (found !== expected) throw new Error(`expected ${name}="${expected}", found ${found}`);
      },
    ),
  value: (locator: Locator, expected: string) =>
    until(
      () => locator.inputValue(),
      (found) => {
        if (found !== expected) throw new Error(`expected value "${expected}", found "${found}"`);
      },
    ),
};
