import { resolve } from 'node:path';
import { Command } from 'commander';
import { humanProgressPercent } from '../../domain/baselines';
import { BASELINES_URL_ENV, DEFAULT_BASELINES_BASE_URL, type FileOutcome, fetchBaselines } from '../../humanRecords/fetch';
import { defaultManifestPath, defaultRecordsDir, loadBaselinesManifest } from '../../humanRecords/manifest';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function describe(o: FileOutcome): string {
  if (o.status === 'failed') return `failed      ${o.error}`;
  const retried = o.attempts > 1 ? ` (${o.attempts} attempts)` : '';
  return `${o.status.padEnd(11)} ${o.record}/${o.file} ${o.bytes} B${retried}`;
}

export function registerBaselinesCommands(program: Command): void {
  const baselines = program.command('baselines').description('The human speedrun records from the anchor to the horizon: manifest and upstream files');

  baselines
    .command('list')
    .description('List the records in the manifest with their times and share of human progress')
    .option('--manifest <path>', 'manifest file', defaultManifestPath())
    .option('--json', 'print JSON')
    .action((opts: { manifest: string; json?: boolean }) => {
      const manifest = loadBaselinesManifest(resolve(opts.manifest));
      const rows = manifest.records.map((r) => ({
        name: r.name,
        date: r.date,
        readmeSeconds: r.readmeSeconds,
        speedupSeconds: r.speedupSeconds,
        humanProgressPercent: r.speedupSeconds === null ? null : humanProgressPercent(r.speedupSeconds, manifest),
        files: r.files.length,
      }));
      if (opts.json) {
        console.log(JSON.stringify({ anchor: manifest.anchor, horizon: manifest.horizon, records: rows }, null, 2));
        return;
      }
      console.log(`${'record'.padEnd(48)} ${'date'.padEnd(10)}  ${'README s'.padStart(8)}  ${'speedup s'.padStart(9)}  ${'progress'.padStart(8)}`);
      for (const r of rows) {
        const speedup = r.speedupSeconds === null ? '-' : r.speedupSeconds.toFixed(2);
        const pct = r.humanProgressPercent === null ? '-' : `${r.humanProgressPercent.toFixed(1)}%`;
        console.log(`${r.name.padEnd(48)} ${r.date}  ${r.readmeSeconds.toFixed(2).padStart(8)}  ${speedup.padStart(9)}  ${pct.padStart(8)}`);
      }
    });

  baselines
    .command('fetch')
    .description("Download and verify the records' upstream files (run.sh, train_gpt.py, …)")
    .option('--record <name>', 'a record to fetch (repeatable); all records when absent', collect, [])
    .option('--dir <dir>', 'destination; files land in <dir>/<record>/<file>', defaultRecordsDir())
    .option(
      '--base-url <url>',
      `where files are served from as <url>/<repository>/<commit>/<path> (env ${BASELINES_URL_ENV}, default ${DEFAULT_BASELINES_BASE_URL})`,
    )
    .option('--manifest <path>', 'manifest file', defaultManifestPath())
    .option('--json', 'print one JSON report instead of progress lines')
    .action(async (opts: { record: string[]; dir: string; baseUrl?: string; manifest: string; json?: boolean }) => {
      const outcomes = await fetchBaselines({
        manifest: resolve(opts.manifest),
        records: opts.record,
        dir: resolve(opts.dir),
        baseUrl: opts.baseUrl,
        onProgress: opts.json ? undefined : (o) => console.error(describe(o)),
      });
      const failed = outcomes.filter((o) => o.status === 'failed');
      if (opts.json) {
        console.log(JSON.stringify({ ok: failed.length === 0, files: outcomes }, null, 2));
        if (failed.length) process.exitCode = 1;
        return;
      }
      const count = (s: FileOutcome['status']) => outcomes.filter((o) => o.status === s).length;
      console.error(`${count('downloaded')} downloaded, ${count('skipped')} already present, ${failed.length} failed; in ${resolve(opts.dir)}`);
      if (failed.length) throw new Error(`${failed.length} of ${outcomes.length} files failed:\n${failed.map((o) => `  ${o.error}`).join('\n')}`);
    });
}
