import type { JudgeCheck } from '../domain/verdict';
import { check, listSome, MAIN_SCRIPT } from './checkUtil';
import { dataOrderProblems } from './flowChecks';
import { compareHyper } from './hyperCompare';
import { parsedFiles, type FileFacts, type ScriptFacts } from './scriptFacts';

/**
 * Data loading: the shard reader (the function that checks the shard header's magic number) is
 * unchanged, shards are listed the anchor's way from the anchor's train_files, and nothing else
 * reads files wholesale (a second way into the data, or a cache carried between runs). Batching,
 * BOS alignment and prefetching are the records' to change.
 */
export function checkDataLoading(anchorFacts: ScriptFacts, candFacts: ScriptFacts, anchor: FileFacts, cand: FileFacts): JudgeCheck {
  const problems: string[] = [];
  const aFiles = parsedFiles(anchorFacts);
  const cFiles = parsedFiles(candFacts);
  const cReaders = cFiles.flatMap(([file, f]) => f.shardReaders.map((r) => ({ ...r, file })));
  const aReaders = aFiles.flatMap(([file, f]) => f.shardReaders.map((r) => ({ ...r, file })));
  for (const r of aReaders) {
    if (cReaders.some((c) => c.fingerprint === r.fingerprint)) continue;
    const same = cReaders.find((c) => c.name === r.name);
    problems.push(
      same
        ? `the shard reader ${r.name} changed (${same.file}:${same.line}): ${firstDifference(r.code, same.code)}`
        : `the shard reader ${r.name} (anchor ${r.file}:${r.line}) is gone`,
    );
  }
  for (const c of cReaders) {
    if (!aReaders.some((r) => r.fingerprint === c.fingerprint)) {
      if (!aReaders.some((r) => r.name === c.name))
        problems.push(`a new shard reader ${c.name} (${c.file}:${c.line}): shards must be read by the anchor's reader`);
    }
  }
  const aList = new Set(aFiles.flatMap(([, f]) => f.listings.map((l) => l.code)));
  const cList = cFiles.flatMap(([file, f]) => f.listings.map((l) => ({ ...l, file })));
  for (const code of aList) if (!cList.some((l) => l.code === code)) problems.push(`the anchor lists shards with \`${code}\`, the candidate no longer does`);
  for (const l of cList) if (!aList.has(l.code)) problems.push(`new file listing \`${l.code}\` (${l.file}:${l.line})`);
  const count = (files: [string, FileFacts][]) => {
    const m = new Map<string, number>();
    for (const [, f] of files) for (const r of f.rawReads) m.set(r.kind, (m.get(r.kind) ?? 0) + 1);
    return m;
  };
  const aCount = count(aFiles);
  const cCount = count(cFiles);
  for (const [kind, n] of cCount) {
    if (n > (aCount.get(kind) ?? 0)) {
      const where = cFiles.flatMap(([file, f]) => f.rawReads.filter((r) => r.kind === kind).map((r) => `${file}:${r.line} \`${r.code.slice(0, 100)}\``));
      problems.push(`reads files with ${kind} ${n} time(s) outside the shard reader, the anchor ${aCount.get(kind) ?? 0}: ${listSome(where)}`);
    }
  }
  const { changed, dropped } = compareHyper(anchor, cand, ['train_files']);
  if (changed.length || dropped.length) problems.push(`train_files must stay as in the anchor: ${listSome([...changed, ...dropped])}`);
  problems.push(...dataOrderProblems(anchor, cand));
  if (problems.length) {
    const where = /\(([\w./-]+\.py:\d+)\)/.exec(problems[0])?.[1] ?? /([\w./-]+\.py:\d+)/.exec(problems[0])?.[1] ?? MAIN_SCRIPT;
    return check(
      'data-loading',
      false,
      `data must be read as the anchor reads it (same shards in the same order, same reader; batching and prefetching may change): ${listSome(problems)}`,
      { where, fix: "read the training shards with the anchor's reader, listed and walked in the anchor's order, and read no other files" },
    );
  }
  const names = aReaders.map((r) => r.name);
  return check(
    'data-loading',
    true,
    names.length
      ? `shard reader ${[...new Set(names)].join(', ')}, shard listing and train_files as in the anchor`
      : 'the anchor reads no shards: nothing to keep',
  );
}

function firstDifference(a: string, b: string): string {
  const al = a.split('\n');
  const bl = b.split('\n');
  for (let i = 0; i < Math.max(al.length, bl.length); i++) {
    if (al[i] !== bl[i]) return `anchor \`${(al[i] ?? '').trim().slice(0, 120)}\`, candidate \`${(bl[i] ?? '').trim().slice(0, 120)}\``;
  }
  return 'the code differs';
}
