/**
 * How long to wait before relaunching an agent that exited before the deadline: at once after a
 * long productive run, with doubling delays when it keeps dying quickly (a crash loop).
 */
export function agentBackoffMs(exits: { atMs: number }[], nowMs: number): number {
  const recent = exits.filter((e) => nowMs - e.atMs < 10 * 60_000).length;
  if (recent <= 1) return 1000;
  return Math.min(5 * 60_000, 1000 * 2 ** Math.min(recent - 1, 12));
}
