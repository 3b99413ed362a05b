import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTranscript } from '../../src/report/transcript';
import { buildReport } from '../../src/report/build';
import { parseSummary } from '../../src/report/load';
import { appendLeaderboard, entryFromReport, readLeaderboard } from '../../src/report/leaderboard';
import { compareMarkdown, compareTable, groupSessions } from '../../src/report/compare';
import { watchFrame, watchLine } from '../../src/report/watchView';
import { renderReportHtml } from '../../src/report/write';
import { syntheticReportInput } from './reportSynthetic';

describe('report: transcripts', () => {
  it('reads a Codex exec --json stream: a command carries its output and exit code, messages and edits in order', () => {
    const lines = [
      { type: 'thread.started', thread_id: 'th-1' },
      { type: 'item.completed', item: { id: 'i0', type: 'reasoning', text: 'Look at the schedule first.' } },
      { type: 'item.started', item: { id: 'i1', type: 'command_execution', command: 'bash -lc ls', status: 'in_progress' } },
      {
        type: 'item.completed',
        item: { id: 'i1', type: 'command_execution', command: 'bash -lc ls', aggregated_output: 'run.sh\ntrain_gpt.py\n', exit_code: 0 },
      },
      { type: 'item.completed', item: { id: 'i2', type: 'file_change', changes: [{ path: 'train_gpt.py', kind: 'update' }] } },
      { type: 'item.completed', item: { id: 'i3', type: 'command_execution', command: 'submit x', aggregated_output: 'refused', exit_code: 2 } },
      { type: 'item.completed', item: { id: 'i4', type: 'agent_message', text: 'Done.' } },
      { type: 'turn.completed', usage: { input_tokens: 10, cached_input_tokens: 2, output_tokens: 3 } },
    ].map((e) => JSON.stringify(e));
    const t = readTranscript(['not json: a stderr line', ...lines]);
    assert.deepEqual(
      t.map((e) => e.kind),
      ['output', 'system', 'thinking', 'command', 'tool', 'command', 'assistant', 'result'],
    );
    assert.deepEqual(
      { text: t[3].text, output: t[3].output, exitCode: t[3].exitCode, isError: t[3].isError },
      { text: 'bash -lc ls', output: 'run.sh\ntrain_gpt.py\n', exitCode: 0, isError: false },
    );
    assert.equal(t[5].isError, true);
    assert.match(t[4].text, /train_gpt\.py \(update\)/);
  });

  it("reads Claude Code's stream-json: a Bash call reads with its tool result; plain output lines gather in one block", () => {
    const lines = [
      JSON.stringify({ type: 'system', subtype: 'init', session_id: 's-1', model: 'm' }),
      JSON.stringify({
        type: 'assistant',
        message: {
          content: [
            { type: 'text', text: 'Trying.' },
            { type: 'tool_use', id: 'tu1', name: 'Bash', input: { command: 'submit a' } },
            { type: 'tool_use', id: 'tu2', name: 'Read', input: { file_path: 'x' } },
          ],
        },
      }),
      JSON.stringify({
        type: 'user',
        message: {
          content: [
            { type: 'tool_result', tool_use_id: 'tu1', content: 'accepted', is_error: false },
            { type: 'tool_result', tool_use_id: 'tu2', content: [{ type: 'text', text: 'file body' }] },
          ],
        },
      }),
      JSON.stringify({ type: 'result', subtype: 'success', num_turns: 2, total_cost_usd: 0.5, usage: { input_tokens: 1, output_tokens: 2 } }),
      JSON.stringify({ type: 'harness.output', text: 'line 1' }),
      JSON.stringify({ type: 'harness.output', text: 'line 2' }),
    ];
    const t = readTranscript(lines);
    assert.deepEqual(
      t.map((e) => e.kind),
      ['system', 'assistant', 'command', 'tool', 'result', 'output'],
    );
    assert.equal(t[2].output, 'accepted');
    assert.equal(t[3].output, 'file body');
    assert.match(t[4].text, /\$0\.5000/);
    assert.equal(t[5].text, 'line 1\nline 2');
  });
});

describe('report: data', () => {
  it('takes the headline from the confirmation when there is one, else from validation', () => {
    const plain = buildReport(syntheticReportInput(30));
    assert.equal(plain.headline.source, 'validation');
    const confirmed = buildReport(syntheticReportInput(30, { confirmed: true }));
    assert.equal(confirmed.headline.source, 'confirmation');
    assert.equal(confirmed.headline.speedupSeconds, plain.headline.speedupSeconds! - 1);
  });

  it('reconstructs the burn so each category ends at the ledger total, and verdicts come in spending order', () => {
    const input = syntheticReportInput(40);
    const r = buildReport(input);
    const at = r.burn.at(-1)!.at;
    for (const [cat, total] of Object.entries(input.summary.budget.byCategory)) {
      const last = r.burn.filter((b) => b.at === at && b.category === cat)[0];
      assert.ok(Math.abs(last.gpuHours - total) < 1e-9, `${cat}: ${last.gpuHours} vs ${total}`);
    }
    const spent = r.submissions.map((s) => s.gpuHoursAtVerdict);
    assert.deepEqual(
      spent,
      [...spent].sort((a, b) => a - b),
    );
    assert.ok(spent[0] > 0 && spent.at(-1)! <= input.summary.budget.usedGpuHours + 1e-9);
    const best = r.progress.map((p) => p.percent);
    assert.deepEqual(
      best,
      [...best].sort((a, b) => a - b),
      'the best-so-far staircase only climbs',
    );
    assert.equal(best.at(-1), input.summary.best!.humanProgressPercent);
  });

  it('names the field when a summary carries a malformed confirmation', () => {
    const s = syntheticReportInput(3, { confirmed: true }).summary;
    const bad = { ...s, confirmation: { ...s.confirmation, headline: { ...s.confirmation!.headline, ci95: [1] } } };
    assert.throws(() => parseSummary(bad, 'summary.json'), /summary\.json: confirmation\.headline\.ci95/);
    assert.equal(parseSummary(s, 'summary.json').confirmation?.headline?.submissionId, s.confirmation!.headline!.submissionId);
  });

  it('renders every figure as inline SVG and escapes what the agent wrote', async () => {
    const input = syntheticReportInput(5);
    input.launches[0].entries.push({ kind: 'assistant', text: '<script>alert(1)</script>' });
    const html = await renderReportHtml(buildReport(input));
    assert.equal(html.match(/<svg /g)?.length, 3);
    assert.ok(!html.includes('<script>alert'), 'agent text is escaped');
    assert.ok(!/(src|href)="https?:/.test(html), 'nothing fetched from the network');
  });
});

describe('report: leaderboard and compare', () => {
  it('appends one line per session however often the summary activity is retried', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'board-')), 'leaderboard.jsonl');
    const entry = entryFromReport(buildReport(syntheticReportInput(10)));
    assert.equal(await appendLeaderboard(entry, path), true);
    assert.equal(await appendLeaderboard(entry, path), false);
    assert.equal(readFileSync(path, 'utf8').trim().split('\n').length, 1);
    assert.deepEqual(readLeaderboard(path), [entry]);
  });

  it('summarises repeats as mean ± standard error per agent and model', () => {
    const e = (id: string, agent: string, model: string | null, pct: number, cost: number | null) => ({
      ...entryFromReport(buildReport(syntheticReportInput(3))),
      sessionId: id,
      agent,
      model,
      humanProgressPercent: pct,
      costUsd: cost,
      usedGpuHours: 2,
      accepted: 1,
      rejected: 2,
    });
    const groups = groupSessions([
      e('a', 'codex', 'gpt-5', 10, null),
      e('b', 'codex', 'gpt-5', 14, null),
      e('c', 'claude-code', 'opus', 40, 3),
      e('d', 'claude-code', 'opus', 50, 5),
      e('f', 'claude-code', 'opus', 60, null),
    ]);
    assert.deepEqual(
      groups.map((g) => [g.label, g.n, g.meanPercent]),
      [
        ['claude-code / opus', 3, 50],
        ['codex / gpt-5', 2, 12],
      ],
    );
    assert.ok(Math.abs(groups[0].sePercent! - 10 / Math.sqrt(3)) < 1e-12);
    assert.equal(groups[1].sePercent, 2);
    assert.equal(groups[0].meanCostUsd, 4, 'the mean over the sessions that priced it');
    assert.equal(groups[1].meanCostUsd, null);
    assert.deepEqual([groups[0].accepted, groups[0].rejected], [3, 6]);
    assert.match(compareTable(groups), /claude-code \/ opus\s+3\s+50\.0 ± 5\.8\s+2\.000\s+\$4\.00\s+3\s+6/);
    assert.match(compareMarkdown(groups), /\| codex \/ gpt-5 \| 2 \| 12\.0 ± 2\.0 \| 2\.000 \| – \| 2 \| 4 \|/);
    const mixed = groupSessions([e('a', 'codex', null, 10, null), { ...e('b', 'codex', null, 90, null), anchor: '/x/tiny' }]);
    assert.deepEqual(mixed.map((g) => g.label).sort(), ['codex on 2025-09-03_FA3', 'codex on tiny'], 'different anchors never share a mean');
  });
});

describe('report: watch screen', () => {
  it('draws the budget bar, the run in flight with its elapsed time, the last verdict and the best', () => {
    const input = syntheticReportInput(4);
    const status = { ...input.summary, phase: 'running' as const, endReason: null };
    const subs = input.submissions.map((s, i) => (i === 3 ? { ...s, state: 'validating' as const, verdict: null } : s));
    const now = Date.parse(status.startedAt) + 3_725_000;
    const w = { status, submissions: subs, validation: { submissionId: 'sub-004', step: 'timing' as const, run: 2, runs: 5, sinceMs: now - 75_000 } };
    const frame = watchFrame(w, now);
    const used = status.budget.usedGpuHours / status.budget.grantedGpuHours;
    assert.match(frame[1], new RegExp(`\\[${'█'.repeat(Math.round(used * 30))}░*\\]`));
    assert.equal(frame[2], 'now     validating sub-004: run 2 of 5, 1:15 elapsed');
    assert.match(frame[0], /up 1:02:05/);
    assert.match(frame[3], /^last {4}sub-003 (accepted|rejected)/);
    assert.match(watchLine(w), /validating sub-004: run 2 of 5 \| last sub-003/);
  });
});
