import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { Prng } from '../../src/domain/prng';
import { writeSessionReport } from '../../src/report/write';
import { eventually } from '../helpers/harness';
import { layout } from '../../src/files/layout';
import { checkSession, HEARTBEAT_S, keyLeaks, orphansOf, type SessionFindings } from './checks';
import { driveSession, type DrivenSession } from './drive';
import { DISK_FULL, FAULTS as LOCAL_FAULTS, type Fault } from './faults';
import { DOCKER_FAULTS } from './dockerFaults';
import type { SessionSpecInput } from '../../src/domain/spec';

const FAULTS = [...LOCAL_FAULTS, ...DOCKER_FAULTS];
import { PLANTED, World } from './world';
import { relayProbes, type Probe } from './probes';
import { dockerProbes } from './dockerProbes';

export interface FaultRow {
  fault: string;
  injections: number;
  sessionsCompleted: string;
  submissionsLost: number;
  judgedTwice: number;
  maxBudgetErrorGpuS: number;
  orphans: number;
  wrongVerdicts: number;
  stalled: number;
  /** Workers that exited on their own while this fault was struck (restarted, as a supervisor would). */
  workerDeaths: number;
}

export interface SuiteResult {
  seed: number;
  quick: boolean;
  machine: string;
  date: string;
  wallSeconds: number;
  rows: FaultRow[];
  total: FaultRow;
  /** GPU-seconds a ledger may be off: one heartbeat per GPU. */
  budgetToleranceGpuS: number;
  notRun: { fault: string; why: string }[];
  /** Faults the quick form leaves out because of a known defect not fixed yet (the full form strikes them). */
  openDefects: { fault: string; defect: string }[];
  /** Faults the quick form leaves to the full form, and why. */
  fullFormOnly: { fault: string; why: string }[];
  keyLeaks: string[];
  /** What the sandbox walls refused, and how they said so. */
  probes: Probe[];
  /** Each finding in words (lost, judged twice, wrong verdicts, orphans, stalls): empty when all is well. */
  findings: string[];
  /** Candidates asked about again only because a worker died with the model's answer in hand (not a finding: checks.ts, judgedAgain). */
  askedAfterDeath: string[];
  /** Exits of the Temporal server nobody asked for (each followed by its supervisor's restart). */
  serverDeaths?: { during: string | null; how: string }[];
}

function shuffle<T>(rng: Prng, xs: T[]): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/** Deals each fault `reps` times over `sessions` sessions in a seeded order; the faults struck at a session's end one per session. */
export function plan(rng: Prng, faults: Fault[], reps: number, sessions: number): Fault[][] {
  const endFaults = faults.filter((f) => f.atEnd);
  const n = Math.max(sessions, reps * Math.min(1, endFaults.length));
  const out: Fault[][] = Array.from({ length: n }, () => []);
  shuffle(
    rng,
    faults.filter((f) => !f.atEnd).flatMap((f) => Array<Fault>(reps).fill(f)),
  ).forEach((f, i) => out[i % n].push(f));
  endFaults.flatMap((f) => Array<Fault>(reps).fill(f)).forEach((f, i) => out[i % n].push(f));
  return out;
}

export async function runSuite(opts: {
  quick: boolean;
  seed: number;
  out?: string;
  log?: (line: string) => void;
  only?: string;
  docker?: boolean;
}): Promise<SuiteResult> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const t0 = Date.now();
  const rng = new Prng(opts.seed);
  log(`faults: seed ${opts.seed}${opts.quick ? ' (quick)' : ''}`);
  // The quick form gates every test run: its worker keeps no sticky cache, so the Temporal SDK's
  // nondeterminism after a sticky task times out on a killed worker (README "Faults and walls"),
  // which the full form meets in about 1 of 20 worker kills, cannot stall it at random. The full
  // form runs the worker's default cache and counts such stalls as findings.
  if (opts.quick && process.env.NANOGPT_BENCH_WORKFLOW_CACHE === undefined) process.env.NANOGPT_BENCH_WORKFLOW_CACHE = '0';
  log(`faults: the worker's workflow cache: ${process.env.NANOGPT_BENCH_WORKFLOW_CACHE ?? "the SDK's default (sticky)"}`);
  const world = await new World().start({ docker: opts.docker ?? true });
  // An interrupted run still takes its server, worker, sandboxes and mount down with it.
  const interrupted = () => void world.stop().finally(() => process.exit(130));
  process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
  const notRun = FAULTS.flatMap((f) => (f.unavailable?.(world) ? [{ fault: f.name, why: f.unavailable(world)! }] : []));
  const openDefects = opts.quick ? FAULTS.flatMap((f) => (f.openDefect ? [{ fault: f.name, defect: f.openDefect }] : [])) : [];
  for (const d of openDefects) log(`left out of the quick form, open defect: ${d.fault}: ${d.defect}`);
  const fullFormOnly = opts.quick ? FAULTS.flatMap((f) => (f.fullFormOnly ? [{ fault: f.name, why: f.fullFormOnly }] : [])) : [];
  for (const d of fullFormOnly) log(`left to the full form: ${d.fault}: ${d.why}`);
  // --only: the faults whose name holds it, and no probes (a quicker loop while working on one fault).
  const faults = FAULTS.filter(
    (f) => !f.unavailable?.(world) && !(opts.quick && (f.openDefect || f.fullFormOnly)) && (!opts.only || f.name.includes(opts.only)),
  );
  const reps = opts.quick ? 1 : 5;
  // The local sandbox's faults into local sessions; the Docker faults into sessions on the suite's own engine.
  const dealt: { id: string; faults: Fault[]; extra: Partial<SessionSpecInput> }[] = [
    ...plan(
      rng,
      faults.filter((f) => !f.sandbox),
      reps,
      !faults.some((f) => !f.sandbox) ? 0 : opts.quick ? 3 : 6,
    ).map((fs, i) => ({ id: `faults-${i + 1}`, faults: fs, extra: {} })),
    ...(world.dockerd
      ? plan(
          rng,
          faults.filter((f) => f.sandbox === 'docker'),
          reps,
          !faults.some((f) => f.sandbox) ? 0 : opts.quick ? 1 : 3,
        ).map((fs, i) => ({ id: `faults-docker-${i + 1}`, faults: fs, extra: { sandbox: 'docker' as const, image: world.dockerd!.image } }))
      : []),
  ];
  const driven: DrivenSession[] = [];
  const findings: string[] = [];
  const perSession = new Map<string, SessionFindings>();
  try {
    const driving = Promise.all(dealt.map((d, i) => driveSession(world, d.id, d.faults, opts.seed + i + 1, d.extra)));
    // The probes run beside the faults; one that cannot run is a finding, never the end of the suite.
    const probes: Probe[] = [];
    try {
      if (opts.only) notRun.push({ fault: 'probes', why: `--only ${opts.only}` });
      else {
        probes.push(...(await relayProbes('faults-1', 'faults-2')));
        // The other session's files must be there for a refusal to mean anything.
        await eventually('a candidate of faults-2 on disk', async () => existsSync(join(layout.workspace('faults-2'), 'submissions', 'c00-good')), 240_000);
        const walls = await dockerProbes('faults-2', Number(new URL(world.judge.url).port));
        if ('unavailable' in walls) notRun.push({ fault: 'Docker sandbox probes', why: walls.unavailable });
        else probes.push(...walls.probes);
      }
    } catch (err) {
      findings.push(`the probes could not run: ${(err as Error).message}`);
    }
    driven.push(...(await driving));
    for (const d of driven) {
      const f = checkSession(d.sessionId, d.gpus, d.summary, d.submissions, d.acked, world.judge.answeredAt, world.workerEnds);
      const docker = world.dockerd?.docker ?? null;
      const orphans = await eventually('no orphans', async () => ((await orphansOf(d.sessionId, docker)).length === 0 ? [] : null), 20_000, 500).catch(() =>
        orphansOf(d.sessionId, docker),
      );
      perSession.set(d.sessionId, { ...f, orphans });
      if (d.summary)
        await writeSessionReport(d.sessionId, layout.session(d.sessionId), null).catch((err: Error) =>
          findings.push(`${d.sessionId}: report failed: ${err.message}`),
        );
    }
    // The relay tokens are secrets too: none may reach a history or any file but its own.
    const tokens = driven.map((d) => readFileSync(layout.relayToken(d.sessionId), 'utf8').trim());
    const leaks = await keyLeaks(
      world.h.address,
      world.h.home,
      driven.map((d) => d.sessionId),
      [...Object.values(PLANTED), ...tokens],
    );
    const tolerance = HEARTBEAT_S * Math.max(...driven.map((d) => d.gpus));
    const rows = tabulate(driven, perSession, faults, world.workerDeaths);
    const total = tabulate(driven, perSession, null, world.workerDeaths)[0];
    for (const d of world.workerDeaths)
      findings.push(`the worker died on its own (${d.how}) ${d.during ? `during "${d.during}"` : 'with no fault in progress'}`);
    // The dev server exits when its database's disk fills (status 2; Temporal's, not ours): there
    // it is noted, and what counts is that its supervisor brought it back. Any other exit is a finding.
    for (const d of world.serverDeaths.filter((x) => x.during !== DISK_FULL))
      findings.push(
        `the Temporal server died on its own (${d.how}) ${d.during ? `during "${d.during}"` : 'with no fault in progress'}; its supervisor started it again`,
      );
    for (const [id, f] of perSession) {
      if (!f.completed) findings.push(`${id}: did not finish`);
      for (const x of [
        ...f.lost.map((l) => `lost ${l}`),
        ...f.judgedTwice.map((j) => `judged twice ${j}`),
        ...f.wrong,
        ...f.orphans.map((o) => `orphan of ${id}: ${o}`),
      ])
        findings.push(x);
      if (f.budgetErrorS > tolerance) findings.push(`ledger off the sandboxes' records by ${f.budgetErrorS.toFixed(2)} GPU-s: ${f.budgetDetail}`);
    }
    for (const d of driven) for (const i of d.injections) if (i.stalled) findings.push(`${i.fault} on ${i.sessionId}/${i.submissionId ?? 'end'}: ${i.stalled}`);
    for (const l of leaks) findings.push(`planted key found in ${l}`);
    for (const p of probes) if (!p.refused) findings.push(`probe not refused: ${p.probe}: ${p.said}`);
    const result: SuiteResult = {
      seed: opts.seed,
      quick: opts.quick,
      machine: `${hostname()}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'})`,
      date: new Date().toISOString(),
      wallSeconds: Math.round((Date.now() - t0) / 1000),
      rows,
      total,
      budgetToleranceGpuS: tolerance,
      notRun,
      openDefects,
      fullFormOnly,
      keyLeaks: leaks,
      probes,
      findings,
      askedAfterDeath: [...perSession.values()].flatMap((f) => f.askedAfterDeath),
      serverDeaths: world.serverDeaths,
    };
    log(formatTable(result));
    if (opts.out) {
      mkdirSync(dirname(opts.out), { recursive: true });
      writeFileSync(opts.out, JSON.stringify(result, null, 2) + '\n');
    }
    return result;
  } finally {
    process.off('SIGINT', interrupted).off('SIGTERM', interrupted);
    await world.stop();
  }
}

function tabulate(driven: DrivenSession[], per: Map<string, SessionFindings>, faults: Fault[] | null, deaths: { during: string | null }[]): FaultRow[] {
  const names = faults ? faults.map((f) => f.name) : ['all'];
  return names.map((name) => {
    const inj = driven.flatMap((d) => d.injections).filter((i) => name === 'all' || i.fault === name);
    const sessions = name === 'all' ? driven.map((d) => d.sessionId) : [...new Set(inj.map((i) => i.sessionId))];
    const subs = new Set(inj.map((i) => `${i.sessionId}/${i.submissionId}`));
    const mine = (xs: string[]) => (name === 'all' ? xs.length : xs.filter((x) => subs.has(x.split(' ')[0])).length);
    const fs = sessions.map((s) => per.get(s)!).filter(Boolean);
    return {
      fault: name,
      injections: inj.length,
      sessionsCompleted: `${fs.filter((f) => f.completed).length}/${sessions.length}`,
      submissionsLost: fs.reduce((n, f) => n + mine(f.lost), 0),
      judgedTwice: fs.reduce((n, f) => n + mine(f.judgedTwice), 0),
      maxBudgetErrorGpuS: Math.max(0, ...fs.map((f) => f.budgetErrorS)),
      orphans: fs.reduce((n, f) => n + f.orphans.length, 0),
      wrongVerdicts: fs.reduce((n, f) => n + mine(f.wrong.map((w) => w.replace(/:.*/, ''))), 0),
      stalled: inj.filter((i) => i.stalled).length,
      workerDeaths: deaths.filter((d) => name === 'all' || d.during === name).length,
    };
  });
}

export function formatTable(r: SuiteResult): string {
  const head = [
    'fault',
    'injections',
    'sessions completed',
    'submissions lost',
    'judged twice',
    'max budget error (GPU-s)',
    'orphans',
    'wrong verdicts',
    'stalled',
    'worker deaths',
  ];
  const cells = [...r.rows, r.total].map((x) => [
    x.fault,
    String(x.injections),
    x.sessionsCompleted,
    String(x.submissionsLost),
    String(x.judgedTwice),
    Number.isFinite(x.maxBudgetErrorGpuS) ? x.maxBudgetErrorGpuS.toFixed(2) : 'n/a',
    String(x.orphans),
    String(x.wrongVerdicts),
    String(x.stalled),
    String(x.workerDeaths),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => `| ${c.map((x, i) => x.padEnd(w[i])).join(' | ')} |`;
  return [
    line(head),
    `|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`,
    ...cells.map(line),
    '',
    `seed ${r.seed}, ${r.wallSeconds} s, budget tolerance ${r.budgetToleranceGpuS} GPU-s; planted keys found: ${r.keyLeaks.length}`,
    ...r.probes.map((p) => `probe: ${p.probe}: ${p.refused ? 'refused' : 'NOT REFUSED'} (${p.said})`),
    ...r.notRun.map((n) => `not run: ${n.fault}: ${n.why}`),
    ...(r.askedAfterDeath ?? []).map((x) => `asked the model again: ${x} (its worker died with the answer in hand, nothing kept)`),
    ...(r.serverDeaths ?? []).map((d) => `the Temporal server exited on its own (${d.how}${d.during ? ` during "${d.during}"` : ''}) and was started again`),
    ...r.findings.map((f) => `FINDING: ${f}`),
  ].join('\n');
}
