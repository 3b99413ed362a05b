import { performance } from 'node:perf_hooks';
import { buildReport } from '../src/report/build';
import { renderReportHtml } from '../src/report/write';
import { syntheticReportInput } from '../test/unit/reportSynthetic';
import { median } from './median';

const GOAL_MS = 3000;

/**
 * Rendering a report (data, three vega-lite figures to SVG, the page) for a long session of
 * 500 submissions × 5 runs, beside a 10-submission one in the same run: medians of `reps`
 * renders each, after one warm-up that loads vega.
 */
export async function run(reps = 5): Promise<void> {
  const rows: { n: number; ms: number; kb: number }[] = [];
  await renderReportHtml(buildReport(syntheticReportInput(10)));
  for (const n of [10, 500]) {
    const input = syntheticReportInput(n);
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      bytes = (await renderReportHtml(buildReport(input))).length;
      times.push(performance.now() - t0);
    }
    rows.push({ n, ms: median(times), kb: bytes / 1024 });
  }
  const [small, big] = rows;
  console.log('| bench | median | baseline (same run) | ratio | goal |');
  console.log('|---|---|---|---|---|');
  console.log(
    `| report.html of 500 submissions (${big.kb.toFixed(0)} KiB) | ${big.ms.toFixed(0)} ms | 10 submissions: ${small.ms.toFixed(0)} ms (${small.kb.toFixed(0)} KiB) | ${(big.ms / small.ms).toFixed(1)}× | ≤ ${GOAL_MS} ms |`,
  );
  if (big.ms > GOAL_MS) console.log(`\nslower than the goal: ${big.ms.toFixed(0)} ms > ${GOAL_MS} ms`);
}

if (require.main === module) {
  run(Number(process.argv[2] ?? 5)).catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
