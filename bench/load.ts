/**
 * Load on ONE worker (issue 17 item 3): many sessions of a scripted `command` agent
 * (bench/loadAgent.py) submitting FASTRUN candidates at random intervals, one session submitting
 * a thousand in a burst, and a SIGKILL of the worker in the middle of it all.
 *
 *   node dist/bench/load.js [--sessions 200] [--submissions 2] [--interval-s 20] [--big 1000] [--minutes 9] [--seed 1] [--gpus N]
 *
 * `--gpus N` starts the worker as a node of N GPUs (`worker --gpus N`): at most N timed runs at once.
 *
 * Prints p50/p99 of `submit` to acknowledgement and of `status` (over the relay and as a Temporal
 * query), the worker's memory, Temporal events per validated submission, the longest single run
 * of the thousand-submission session, and the time from the SIGKILL to that session's next verdict.
 */
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { cpus, totalmem } from 'node:os';
import type { ChildProcess } from 'node:child_process';
import type { WorkflowHandle } from '@temporalio/client';
import { Harness, FASTRUN } from '../test/helpers/harness';
import { startSession, sessionQueries, stopSession } from '../src/temporal/client';
import { statusQuery } from '../workflows/messages';
import { repoRoot } from '../src/files/repoRoot';
import {
  agentLines,
  requestPhases,
  relayBackMs,
  eventKinds,
  perSubmission,
  marginalEvents,
  p50p99,
  slowSubmits,
  type UpdateTask,
  ms,
  quantile,
  rssMiB,
  sessionEvents,
  timedVerdicts,
  verdictCount,
} from './loadFigures';

/** The timed activities' heartbeat timeout (workflows/activityStubs.ts): the recovery goal is this + 5 s. */
const HEARTBEAT_TIMEOUT_S = 10;

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** The kill waits this long past the last session's start, so its tail and the start-up's do not overlap. */
const KILL_AFTER_RAMP_MS = 30_000;

/** When the last session's agent first launched (epoch ms; Infinity while one has not). */
const rampEnd = (sessions: WorkflowHandle[]) => Math.max(...sessions.map((x) => agentLines(x.workflowId).find((l) => l.op === 'launch')?.t ?? Infinity));

const sleep = (msec: number) => new Promise((r) => setTimeout(r, msec));

function spec(count: number, intervalS: number, seed: number, mode: 'wait' | 'burst') {
  return {
    agent: 'command' as const,
    agentCommand: ['python3', join(repoRoot(), 'bench', 'loadAgent.py'), String(count), String(intervalS), String(seed), mode],
    anchor: FASTRUN,
    budgetGpuHours: 100,
    gpus: 1,
    retimeRuns: 2,
    reference: 'calibration' as const,
    confirmCandidates: 1,
    confirmRuns: 2,
    agentStopGraceSeconds: 1,
  };
}

export async function run(): Promise<void> {
  const sessions = flag('sessions', 200);
  const submissions = flag('submissions', 2);
  const intervalS = flag('interval-s', 20);
  const big = flag('big', 1000);
  const deadline = Date.now() + flag('minutes', 9) * 60_000;
  const seed = flag('seed', 1);
  // A second burst session whose runs continue as new at this many events, beside the default one:
  // both live through the same kill, so their recoveries compare in one run.
  const bigCan = flag('big-can', 0);
  const gpus = flag('gpus', 0);
  const workerArgs = gpus > 0 ? ['--gpus', String(gpus)] : [];
  console.log(
    `load: ${sessions} sessions × ${submissions} submissions (mean interval ${intervalS} s), one of ${big} in a burst; seed ${seed}; ${gpus > 0 ? `worker --gpus ${gpus}` : 'no GPU bound'}`,
  );
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; ${new Date().toISOString()}`);

  const h = await new Harness().start();
  const workerLog = join(h.home, 'load-worker.log');
  let worker: ChildProcess = h.spawnWorker(workerArgs, workerLog);
  const rss: number[] = [];
  const queryMs: number[] = [];
  const handles: WorkflowHandle[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      if (worker.pid && worker.exitCode === null) rss.push(rssMiB(worker.pid));
      await sleep(1000);
    }
  })();
  try {
    // The first session times the anchor; the others find its calibration in the cache.
    const first = await startSession(h.client, spec(submissions, intervalS, seed, 'wait'), 'load-0000');
    handles.push(first);
    for (;;) {
      const st = await sessionQueries.status(first).catch(() => null);
      if (st?.phase === 'running') break;
      await sleep(500);
    }
    const idle = rss.at(-1) ?? NaN;
    const bigId = 'load-big';
    const shortId = `load-big-can${bigCan}`;
    if (big > 0) handles.push(await startSession(h.client, spec(big, 0, seed, 'burst'), bigId));
    if (big > 0 && bigCan > 0) handles.push(await startSession(h.client, { ...spec(big, 0, seed, 'burst'), continueAsNewAfterEvents: bigCan }, shortId));
    const bursts = handles.filter((x) => x.workflowId === bigId || x.workflowId === shortId);
    for (let i = 1; i < sessions; i++)
      handles.push(await startSession(h.client, spec(submissions, intervalS, seed + i, 'wait'), `load-${String(i).padStart(4, '0')}`));
    const small = handles.filter((x) => !bursts.includes(x));
    console.log(`started ${handles.length} sessions; worker RSS ${idle.toFixed(0)} MiB with one session`);

    const querying = (async () => {
      while (sampling) {
        const hd = handles[Math.floor(Math.random() * handles.length)];
        const t = performance.now();
        if (
          await hd.query(statusQuery).then(
            () => true,
            () => false,
          )
        )
          queryMs.push(performance.now() - t);
        await sleep(100);
      }
    })();

    // One SIGKILL, once the burst is well under way and the sessions have all been running a while
    // (so start-up, kill and the steady state can be told apart); a supervisor starts the next
    // worker at once.
    let recoveryS = NaN;
    let shortRecoveryS = NaN;
    let killedAt = 0;
    let killedAtMs = Infinity;
    const done = (id: string) => agentLines(id).some((l) => l.op === 'done');
    while (Date.now() < deadline) {
      const bigVerdicts = big > 0 ? verdictCount(bigId) : 0;
      if (killedAt === 0 && big > 0 && bigVerdicts >= Math.min(100, big / 2) && Date.now() > rampEnd(small) + KILL_AFTER_RAMP_MS) {
        const before = bigVerdicts;
        const shortBefore = bigCan > 0 ? verdictCount(shortId) : 0;
        worker.kill('SIGKILL');
        killedAt = performance.now();
        killedAtMs = Date.now();
        worker = h.spawnWorker(workerArgs, workerLog);
        console.log(`SIGKILL of the worker at ${before} verdicts of ${bigId}; a new worker started`);
        const nextVerdictS = async (id: string, n: number) => {
          while (verdictCount(id) <= n && Date.now() < deadline) await sleep(100);
          const s = (performance.now() - killedAt) / 1000;
          console.log(`${id} gave its next verdict ${s.toFixed(1)} s after the kill`);
          return s;
        };
        [recoveryS, shortRecoveryS] = await Promise.all([nextVerdictS(bigId, before), bigCan > 0 ? nextVerdictS(shortId, shortBefore) : NaN]);
      }
      const finished = small.filter((x) => done(x.workflowId)).length;
      if (finished === small.length && (big === 0 || verdictCount(bigId) >= big)) break;
      await sleep(2000);
    }
    const timedOut = Date.now() >= deadline;
    sampling = false;
    await querying;

    const lines = small.flatMap((x) => agentLines(x.workflowId));
    const bigLines = big > 0 ? agentLines(bigId) : [];
    const clean = (op: string, ls = lines) => ls.filter((l) => l.op === op && !l.paused).map((l) => l.ms);
    const all = (op: string, ls = lines) => ls.filter((l) => l.op === op).map((l) => l.ms);
    const report = (what: string, xs: number[], goal = '') =>
      console.log(`| ${what} | ${xs.length} | ${ms(quantile(xs, 0.5))} | ${ms(quantile(xs, 0.99))} | ${ms(Math.max(...xs))} | ${goal} |`);
    console.log(timedOut ? `\nSTOPPED AT THE TIME LIMIT: the figures below cover what was done\n` : '');
    console.log('| what | n | p50 | p99 | max | goal |\n|---|---|---|---|---|---|');
    report('`submit` → acknowledgement (relay, agent not paused meanwhile)', clean('submit'), 'p99 ≤ 1 s');
    report('`submit` → acknowledgement, every request', all('submit'));
    // Split by when the request was made: while the sessions were still starting (before the last
    // agent's first launch), held up by the kill (its own goal, the recovery below; requestPhases
    // says how), and the rest.
    const phases = requestPhases(
      small.map((x) => ({ lines: agentLines(x.workflowId), backMs: relayBackMs(x.workflowId, killedAtMs) })),
      rampEnd(small),
      killedAtMs,
    );
    report('`submit`, made while sessions were still starting', phases.submit.starting);
    report('`submit`, held up by the kill (in flight, or made before its relay was back + 10 s)', phases.submit.kill, 'recovery goal');
    report('**`submit`, every session running, no kill**', phases.submit.running, 'p99 ≤ 1 s');
    report('`status` over the relay, made while sessions were still starting', phases.status.starting);
    report('`status` over the relay, every session running, no kill', phases.status.running);
    report('`submit` of the burst session → acknowledgement (not paused)', clean('submit', bigLines));
    report('`status` of a submission over the relay (not paused)', clean('status'));
    report('`status` Temporal query from a client', queryMs);
    const slow = slowSubmits(workerLog);
    console.log(
      `relay's own slow submits (> 1 s in the relay): ${slow.length}; hashing ${p50p99(slow.map((x) => x.hashMs))}, the update ${p50p99(slow.map((x) => x.updateMs))}`,
    );
    console.log(`paused mid-request: ${lines.filter((l) => l.paused).length + bigLines.filter((l) => l.paused).length} of ${lines.length + bigLines.length}`);
    console.log(`refused submits: ${[...lines, ...bigLines].filter((l) => l.op === 'submit' && !l.ok).length}`);
    console.log(`worker RSS: ${idle.toFixed(0)} MiB with one session, peak ${Math.max(...rss).toFixed(0)} MiB, last ${rss.at(-1)?.toFixed(0)} MiB`);

    // Events counted from the server while the sessions still run (a loaded machine may take
    // minutes to end 200 sessions), then every session is stopped, waiting a bounded time.
    let events = 0;
    let childEvents = 0;
    let validated = 0;
    let tallied = 0;
    const sessionKinds = new Map<string, number>();
    const updateTasks: UpdateTask[] = [];
    const marginal = { events: 0, validations: 0 };
    const childKinds = new Map<string, number>();
    for (const x of small) {
      const ids = timedVerdicts(x.workflowId);
      if (ids.length === 0) continue;
      const e = await sessionEvents(h.client, x.workflowId, ids);
      events += e.session;
      childEvents += e.children;
      validated += ids.length;
      // Where they go: the first sessions are enough (each history is read in full).
      if (tallied < 40) {
        await eventKinds(h.client, x.workflowId, sessionKinds, updateTasks);
        const m = await marginalEvents(h.client, x.workflowId);
        marginal.events += m.events;
        marginal.validations += m.validations;
        for (const id of ids) await eventKinds(h.client, `${x.workflowId}.${id}`, childKinds).catch(() => undefined);
        tallied += ids.length;
      }
    }
    console.log(
      `validated submissions (timed): ${validated}; events per validated submission: ${((events + childEvents) / validated).toFixed(1)} (its session's whole history so far ${(events / validated).toFixed(1)} + its validation ${(childEvents / validated).toFixed(1)}), goal ≤ 30`,
    );
    console.log(
      `the submit's workflow task (from the histories, ${updateTasks.length} updates): scheduled → started ${p50p99(updateTasks.map((x) => x.waitMs))}, started → completed ${p50p99(updateTasks.map((x) => x.runMs))}`,
    );
    console.log(
      `one more validated submission adds to its session's history (start-up apart, ${marginal.validations} of them): ${(marginal.events / marginal.validations).toFixed(1)} events${childEvents > 0 ? `, and its child ${(childEvents / validated).toFixed(1)}` : ''}`,
    );
    console.log(`where they go, per validated submission (${tallied} of them): session: ${perSubmission(sessionKinds, tallied)}`);
    console.log(`  validation child workflows: ${perSubmission(childKinds, tallied) || 'none (validated inside the session)'}`);
    await Promise.all(handles.map((x) => stopSession(x, 'load bench done').catch(() => undefined)));
    // Waits given up are aborted: a call still retrying when the harness closes its connection threw from a timer.
    const waits = new AbortController();
    const ended = await Promise.race([
      Promise.all(
        handles.map((x) =>
          h.client
            .withAbortSignal(waits.signal, () => x.result())
            .then(
              () => 1,
              () => 0,
            ),
        ),
      ).then((xs) => xs.reduce<number>((a, n) => a + n, 0)),
      sleep(120_000).then(() => NaN),
    ]);
    waits.abort();
    console.log(`sessions ended after the stop: ${Number.isNaN(ended) ? 'not all within 120 s' : `${ended} of ${handles.length}`}`);
    if (big > 0) {
      const bigSubs = await sessionQueries.submissions(handles[1]).catch(() => []);
      const e = await sessionEvents(h.client, bigId, []);
      const kinds = new Map<string, number>();
      for (const ev of (await handles[1].fetchHistory()).events ?? []) kinds.set(String(ev.eventType), (kinds.get(String(ev.eventType)) ?? 0) + 1);
      console.log(`${bigId}, last run's events by type: ${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}`);
      console.log(
        `${bigId}: ${bigSubs.length} submissions, ${e.session} session events over ${e.runs} runs, longest run ${e.maxRun} events (goal < 10000), ${(e.session / bigSubs.length).toFixed(1)} session events per submission`,
      );
      if (bigCan > 0) {
        const es = await sessionEvents(h.client, shortId, []);
        console.log(`${shortId}: ${verdictCount(shortId)} verdicts, ${es.session} session events over ${es.runs} runs, longest run ${es.maxRun} events`);
      }
    }
    console.log(`worker SIGKILL → next verdict: ${recoveryS.toFixed(1)} s (goal ≤ ${HEARTBEAT_TIMEOUT_S + 5} s)`);
    if (bigCan > 0) console.log(`worker SIGKILL → next verdict, runs of ${bigCan} events: ${shortRecoveryS.toFixed(1)} s`);
  } finally {
    sampling = false;
    await sampler;
    await h.stop();
  }
}

if (require.main === module) {
  run().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
