import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Harness, FASTRUN, CLI, eventually, runCommand } from '../helpers/harness';
import { startSession, sessionQueries, stopSession } from '../../src/temporal/client';
import { layout } from '../../src/files/layout';
import { leaderboardPath, readLeaderboard, type LeaderboardEntry } from '../../src/report/leaderboard';
import { writeReportFiles } from '../../src/report/write';
import { ModelServer } from '../fixtures/agents/modelServer';
import { AGENT_CLIS_BIN, realClisOrSkip } from '../fixtures/agents/realClis';
import { syntheticReportInput } from '../unit/reportSynthetic';
import { ARTIFACTS, CHROMIUM, keepScreenshots, openBrowser, openPage } from './reportBrowser';

// A whole frame of a timed run: a capture can land while tmux is still drawing a redraw, its top
// lines from the frame before; the phase line belongs to the same frame as the run line.
const LIVE = /phase running[\s\S]*validating sub-001: run [123] of 3, \d+:\d\d elapsed/;
const KEY = 'sk-ant-report-' + 'r8'.repeat(16);
const ID = 'report-claude-1';

/**
 * The report of a real session (agent claude-code: the real CLI pinned in image/agent-clis, a loopback model API; the
 * fast fixture family), and of a synthetic 500-submission history, opened in headless Chromium;
 * `watch` driven in tmux while that session validates; `compare` over sessions of two agents.
 */
describe('report, watch and compare on a real session', () => {
  const saved = { ...process.env };
  // The real claude also makes side calls (titles, quota checks): only its own turns follow the script.
  let submitted = false;
  const server = new ModelServer((c) => {
    const last = c.turns[c.turns.length - 1];
    if (!c.main) return { say: 'ok' };
    if (last.text.includes('# You are resumed')) return { hang: true };
    if (!submitted) {
      submitted = true;
      return {
        say: 'Trying the faster record.',
        bash: `cp -r ${join(FASTRUN, 'records', '01_faster')} submissions/faster && submit submissions/faster --no-wait`,
      };
    }
    return { say: 'Submitted; that is all for now.' };
  }, KEY);
  const h = new Harness();
  const tmux = `nanogpt-bench-report-${process.pid}`;
  let browser: Awaited<ReturnType<typeof openBrowser>>;

  before(async () => {
    const noCli = realClisOrSkip();
    if (noCli) assert.fail(noCli);
    if (!existsSync(CHROMIUM)) assert.fail(`${CHROMIUM} is missing: run scripts/setup.sh --tests (Debian's chromium)`);
    await server.start();
    process.env.PATH = `${AGENT_CLIS_BIN}:${process.env.PATH}`;
    process.env.ANTHROPIC_API_KEY = KEY;
    process.env.ANTHROPIC_BASE_URL = server.url;
    process.env.NANOGPT_BENCH_JUDGE_PROVIDER = 'openai';
    delete process.env.OPENAI_API_KEY;
    await h.start();
    await h.inProcessWorker();
    browser = await openBrowser();
  });
  after(async () => {
    spawnSync('tmux', ['-L', tmux, 'kill-server']);
    await browser?.close();
    await h.stop();
    await server.stop();
    process.env = saved;
  });

  it('watch shows run k of N under a terminal; the ended session leaves report, session.json and one leaderboard line', { timeout: 300_000 }, async () => {
    const handle = await startSession(
      h.client,
      {
        agent: 'claude-code',
        anchor: FASTRUN,
        budgetGpuHours: 0.05,
        gpus: 1,
        retimeRuns: 3,
        agentModel: 'claude-test',
        agentStopGraceSeconds: 3,
        reference: 'calibration',
        confirmRuns: 2,
        confirmCandidates: 1,
      },
      ID,
    );
    const env = `TEMPORAL_ADDRESS=${h.address} NANOGPT_BENCH_HOME=${h.home}`;
    const started = spawnSync('tmux', [
      '-L',
      tmux,
      'new-session',
      '-d',
      '-s',
      'w',
      '-x',
      '180',
      '-y',
      '20',
      `env ${env} ${process.execPath} ${CLI} watch ${ID} --interval 0.3; echo WATCH-EXIT=$?; sleep 600`,
    ]);
    assert.equal(started.status, 0, `tmux: ${started.stderr.toString()}`);
    const screens: string[] = [];
    const pane = () => spawnSync('tmux', ['-L', tmux, 'capture-pane', '-p', '-t', 'w'], { encoding: 'utf8' }).stdout;
    await eventually(
      'watch showing a timed run in flight',
      async () => {
        screens.push(pane());
        return screens.some((s) => LIVE.test(s)) && (await sessionQueries.submissions(handle))[0]?.state === 'accepted';
      },
      180_000,
      200,
    );
    const live = screens.find((s) => LIVE.test(s))!;
    assert.match(live, /budget {2}\[[█░]{30}\] +\d+%/, `a budget bar:\n${live}`);
    assert.match(live, /phase running/);

    // A running session's report: what is not on disk yet comes from its queries.
    const liveOut = mkdtempSync(join(tmpdir(), 'report-live-'));
    const liveRun = await runCommand(process.execPath, [CLI, 'report', ID, '--out', liveOut], { env: { ...process.env, TEMPORAL_ADDRESS: h.address } });
    assert.equal(liveRun.status, 0, liveRun.stderr);
    const liveJson = JSON.parse(readFileSync(join(liveOut, 'report.json'), 'utf8'));
    assert.equal(liveJson.session.phase, 'running');
    assert.equal(liveJson.submissions[0].state, 'accepted');

    // Launch 1 ends once its `submit` has the verdict; the resumed launch then idles.
    await eventually(
      'the resumed launch asking the model',
      async () => server.calls.some((c) => c.turns[c.turns.length - 1].text.includes('# You are resumed')),
      120_000,
    );
    await stopSession(handle, 'test over');
    const summary = await handle.result();
    assert.equal(summary.endReason, 'stopped: test over');
    const last = await eventually('watch exiting when the session ended', async () => (/WATCH-EXIT=0/.test(pane()) ? pane() : null), 60_000);
    assert.match(last, /best {4}sub-001: [\d.]+% of human progress/);
    assert.match(last, /last {4}sub-001 accepted/);
    assert.match(last, new RegExp(`session ${ID} ended`));
    assert.match(last, /agent {3}[\d.]+k? in .* out tokens, \$[\d.]+ over 2 launches/, 'tokens and cost from usage.json');

    // Off a terminal: plain lines, one per change.
    const plain = await runCommand(process.execPath, [CLI, 'watch', ID], { env: { ...process.env, TEMPORAL_ADDRESS: h.address } });
    assert.equal(plain.status, 0, plain.stderr);
    assert.ok(!plain.stdout.includes('\u001b['), 'no escape codes in a pipe');
    assert.match(plain.stdout, /phase ended \| budget \d+% .*\| last sub-001 accepted/);

    const record = JSON.parse(readFileSync(join(layout.session(ID), 'session.json'), 'utf8'));
    assert.equal(record.submissions.length, 1);
    assert.equal(record.agentModel, 'claude-test');
    assert.equal(record.reference.trainTimesMs.length, 3);
    assert.ok(existsSync(join(layout.session(ID), 'report.html')), 'the summary activity wrote the report');
    const board = readLeaderboard().filter((e) => e.sessionId === ID);
    assert.equal(board.length, 1);
    assert.equal(board[0].accepted, 1);
    assert.equal(board[0].model, 'claude-test');
    assert.ok(board[0].costUsd !== null && board[0].costUsd > 0, 'claude prices its own usage');
  });

  it('renders the real session as a page with its three figures and its conversation, no console errors', { timeout: 120_000 }, async () => {
    const out = mkdtempSync(join(tmpdir(), 'report-out-'));
    const r = await runCommand(process.execPath, [CLI, 'report', ID, '--out', out], { env: { ...process.env, TEMPORAL_ADDRESS: h.address } });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`report: ${join(out, 'report.html')}`));
    const json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    // The session ended with its best re-timed beside the anchor: the headline is the confirmation's.
    assert.equal(json.headline.source, 'confirmation');
    assert.equal(json.confirmation.headline.submissionId, 'sub-001');
    assert.equal(json.confirmation.progressBasis, 'same-window');
    assert.equal(json.submissions[0].runs.length, 3);
    assert.ok(json.burn.some((b: { category: string; gpuHours: number }) => b.category === 'agent' && b.gpuHours > 0));

    const { page, problems } = await openPage(browser.context, join(out, 'report.html'));
    for (const fig of ['fig-progress', 'fig-runs', 'fig-burn']) {
      assert.equal(await page.locator(`#${fig} svg`).count(), 1, `${fig} is an inline SVG`);
      assert.ok((await page.locator(`#${fig} svg path`).count()) > 3, `${fig} has marks`);
    }
    assert.match(await page.locator('#headline').innerText(), /% of human progress recovered/);
    assert.match(await page.locator('#confirmation').innerText(), /horizon record timed in the same rounds/);
    assert.match(await page.locator('#transcript .t.prompt').first().innerText(), /# Task/);
    const command = page.locator('#transcript .t.command').first();
    assert.match(await command.innerText(), /submit submissions\/faster/);
    assert.match((await command.locator('pre').textContent()) ?? '', /"submissionId": "sub-001"/, 'the command reads with its output (folded when long)');
    assert.equal(await page.locator('#transcript .launch').count(), 2, 'both launches');
    assert.match(await page.locator('#launch-2 .t.prompt').innerText(), /resume prompt: src\/agents\/prompts\/resume\.v\d+\.md/);
    assert.match(await page.locator('#transcript .t.assistant').first().innerText(), /Trying the faster record/);
    assert.equal(await page.locator('#submissions tbody tr').count(), 1);
    await keepScreenshots(page, 'real-session');
    assert.deepEqual(problems, []);
  });

  it('renders a 500-submission history readably: every submission listed, figures present, no console errors', { timeout: 120_000 }, async () => {
    const { html, report } = await writeReportFiles(syntheticReportInput(500, { confirmed: true }), join(ARTIFACTS, 'synthetic-500'));
    const { page, problems } = await openPage(browser.context, html);
    assert.equal(await page.locator('#submissions tbody tr').count(), 500);
    assert.match(
      await page.locator('#headline').innerText(),
      new RegExp(`${report.headline.humanProgressPercent!.toFixed(1)}% of human progress recovered[\\s\\S]*confirmed`),
    );
    for (const fig of ['fig-progress', 'fig-runs', 'fig-burn']) assert.equal(await page.locator(`#${fig} svg`).count(), 1);
    assert.ok((await page.locator('#transcript .t.command').count()) >= 300);
    assert.ok((await page.locator('#transcript details').count()) > 0, 'long outputs are folded');
    await keepScreenshots(page, 'synthetic-500');
    assert.deepEqual(problems, []);
  });

  it('compare groups sessions of two agents: mean ± standard error, a table, markdown and a bar chart', { timeout: 60_000 }, async () => {
    const entry = (id: string, agent: string, model: string | null, pct: number, cost: number | null): LeaderboardEntry => ({
      sessionId: id,
      endedAt: '2026-01-01T00:00:00Z',
      agent,
      model,
      anchor: FASTRUN,
      humanProgressPercent: pct,
      speedupSeconds: pct / 10,
      confirmed: false,
      usedGpuHours: 1,
      costUsd: cost,
      accepted: 2,
      rejected: 1,
      endReason: 'budget exhausted',
    });
    for (const e of [
      entry('c-1', 'codex', 'gpt-5', 10, null),
      entry('c-2', 'codex', 'gpt-5', 20, null),
      entry('c-3', 'codex', 'gpt-5', 30, null),
      entry('x-1', 'claude-code', 'claude-test', 50, 2),
    ]) {
      appendFileSync(leaderboardPath(), JSON.stringify(e) + '\n');
    }
    const out = mkdtempSync(join(tmpdir(), 'compare-out-'));
    const r = await runCommand(process.execPath, [CLI, 'compare', '--all', '--out', out], { env: process.env });
    assert.equal(r.status, 0, r.stderr);
    // codex: 10, 20, 30 → mean 20, standard error 10/√3 = 5.77; claude-test: the real session and 50.
    assert.match(r.stdout, /codex \/ gpt-5\s+3\s+20\.0 ± 5\.8\s+1\.000\s+–\s+6\s+3/);
    assert.match(r.stdout, /claude-code \/ claude-test\s+2\s+[\d.]+ ± [\d.]+/);
    assert.match(readFileSync(join(out, 'compare.md'), 'utf8'), /^\| agent \| sessions \| % human progress/);
    const { page, problems } = await openPage(browser.context, join(out, 'compare.svg'));
    assert.ok((await page.locator('svg path').count()) >= 2, 'bars and error bars drawn');
    await page.screenshot({ path: join(ARTIFACTS, 'compare.png') });
    assert.deepEqual(problems, []);

    const md = await runCommand(process.execPath, [CLI, 'compare', ID, 'c-1', '--markdown', '--out', out], { env: process.env });
    assert.match(md.stdout, /\| codex \/ gpt-5 \| 1 \| 10\.0 \|/);
    writeFileSync(join(out, 'done'), '');
  });
});
