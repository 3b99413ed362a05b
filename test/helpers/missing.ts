import type { TestContext } from 'node:test';

/**
 * What a test does when an engine or data it needs is missing: skips, saying why, on a developer's
 * machine; fails under CI=true, where set-up is meant to have brought everything, so a broken
 * install step turns CI red instead of quietly testing less.
 */
export function missing(t: TestContext, reason: string): void {
  if (process.env.CI === 'true') throw new Error(`CI=true and this test cannot run: ${reason}`);
  t.skip(reason);
}
