import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { benchHome } from '../../files/layout';
import { buildReport } from '../../report/build';
import { compareMarkdown, compareSpec, compareTable, groupSessions } from '../../report/compare';
import { entryFromReport, leaderboardPath, readLeaderboard, type LeaderboardEntry } from '../../report/leaderboard';
import { loadReportInput, sessionRecordPath } from '../../report/load';
import { renderSvg } from '../../report/svg';
import { askServer } from './report';

export function registerCompareCommand(program: Command): void {
  program
    .command('compare [sessionIds...]')
    .description('sessions grouped by agent and model: mean ± standard error of % human progress, GPU-hours, cost, verdicts; a table, markdown and a bar chart')
    .option('--all', `every session of the leaderboard (${'$NANOGPT_BENCH_HOME'}/leaderboard.jsonl)`)
    .option('--markdown', 'print the table as markdown')
    .option('--out <dir>', 'folder for compare.svg and compare.md [$NANOGPT_BENCH_HOME/compare]')
    .action(async (ids: string[], o: { all?: boolean; markdown?: boolean; out?: string }) => {
      const board = readLeaderboard();
      const entries = new Map<string, LeaderboardEntry>(o.all ? board.map((e) => [e.sessionId, e]) : []);
      for (const id of ids) entries.set(id, board.find((e) => e.sessionId === id) ?? (await entryFromFiles(id)));
      if (entries.size === 0) throw new Error(`no sessions to compare: name session ids, or --all once sessions have ended (${leaderboardPath()})`);
      const groups = groupSessions([...entries.values()]);
      const out = o.out ?? join(benchHome(), 'compare');
      await mkdir(out, { recursive: true });
      const md = compareMarkdown(groups);
      await writeFile(join(out, 'compare.md'), md + '\n');
      await writeFile(join(out, 'compare.svg'), await renderSvg(compareSpec(groups)));
      await writeFile(join(out, 'compare.json'), JSON.stringify(groups, null, 2) + '\n');
      console.log(o.markdown ? md : compareTable(groups));
      console.log(`\nchart: ${join(out, 'compare.svg')}\ntable: ${join(out, 'compare.md')}`);
    });
}

/** A session not on the leaderboard (still running, or ended before it existed): from its files. */
async function entryFromFiles(id: string): Promise<LeaderboardEntry> {
  const live = existsSync(sessionRecordPath(id)) ? null : await askServer(id);
  return entryFromReport(buildReport(loadReportInput(id, live)));
}
