import { join } from 'node:path';
import { repoRoot } from '../../src/files/repoRoot';
import { runSuite } from './suite';

/**
 * `npm run test:faults [-- --quick] [--seed N] [--only NAME] [--no-docker]`: drives real sessions, strikes each fault into
 * them at seeded random points, prints the table and writes bench/results/faults.json. Exits
 * non-zero when anything was lost, judged twice, orphaned, misjudged or mischarged.
 */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const seedAt = args.indexOf('--seed');
  const seed = seedAt >= 0 ? Number(args[seedAt + 1]) : Date.now() % 1_000_000;
  if (!Number.isInteger(seed)) throw new Error(`--seed takes an integer, got ${args[seedAt + 1]}`);
  const onlyAt = args.indexOf('--only');
  const only = onlyAt >= 0 ? args[onlyAt + 1] : undefined;
  // --no-docker: no engine of its own started; its faults are reported as not run.
  const r = await runSuite({
    quick,
    seed,
    only,
    docker: !args.includes('--no-docker'),
    out: join(repoRoot(), 'bench', 'results', quick ? 'faults-quick.json' : 'faults.json'),
  });
  // The table is the verdict: a client call of a session that stood still may still be in its
  // retry back-off, and would throw from its timer once the suite's connection is closed.
  process.exit(r.findings.length === 0 ? 0 : 1);
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exitCode = 1;
});
