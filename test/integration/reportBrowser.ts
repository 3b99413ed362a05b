import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { repoRoot } from '../../src/files/repoRoot';

/** Debian's chromium (scripts/setup.sh --tests); never a browser download. */
export const CHROMIUM = process.env.NANOGPT_BENCH_CHROMIUM ?? '/usr/bin/chromium';
/** Screenshots the report tests keep (gitignored). */
export const ARTIFACTS = join(repoRoot(), 'test-artifacts', 'report');

/** Headless Chromium on a fresh profile, with nothing that reaches the network on its own. */
export async function openBrowser(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'nanogpt-bench-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
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
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Opens a page from disk with every request that is not that file refused (a self-contained page
 * needs none), and collects console errors, page errors and refused requests.
 */
export async function openPage(context: BrowserContext, file: string): Promise<{ page: Page; problems: string[] }> {
  const page = await context.newPage();
  const problems: string[] = [];
  const url = `file://${file}`;
  await page.route('**/*', (route) => (route.request().url() === url ? route.continue() : (problems.push(`request: ${route.request().url()}`), route.abort())));
  page.on('console', (m) => void (m.type() === 'error' && problems.push(`console: ${m.text()}`)));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.setViewportSize({ width: 1200, height: 900 });
  await page.goto(url);
  return { page, problems };
}

/** The first screen (what a reader sees first) and each figure, kept as test artifacts. */
export async function keepScreenshots(page: Page, name: string): Promise<string[]> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const paths = [join(ARTIFACTS, `${name}-first-screen.png`)];
  await page.screenshot({ path: paths[0] });
  for (const fig of ['fig-runs', 'fig-burn']) {
    paths.push(join(ARTIFACTS, `${name}-${fig}.png`));
    await page.locator(`#${fig}`).screenshot({ path: paths[paths.length - 1] });
  }
  paths.push(join(ARTIFACTS, `${name}-transcript.png`));
  await page
    .locator('#transcript .launch')
    .first()
    .screenshot({ path: paths[paths.length - 1] });
  console.log(`screenshots: ${paths.join(' ')}`);
  return paths;
}
