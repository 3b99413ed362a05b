import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { JudgeCheck } from '../domain/verdict';
import { at, check, listSome, quote } from './checkUtil';
import { analyzeRunSh } from './runSh';
import { parsedFiles, type FileFacts, type ScriptFacts } from './scriptFacts';

/**
 * Variables run.sh may set: they change logging or buffering, never speed, data or compilation.
 * Anything else (NCCL tuning, CUDA connection counts, compiler caches, the data path) changes the
 * environment the speedrun fixes.
 */
export const RUN_SH_ENV_ALLOW = [
  'PYTHONUNBUFFERED',
  'PYTHONDONTWRITEBYTECODE',
  'PYTHONFAULTHANDLER',
  'NCCL_DEBUG',
  'NCCL_DEBUG_SUBSYS',
  'TORCH_CPP_LOG_LEVEL',
  'TORCH_SHOW_CPP_STACKTRACES',
  'OMP_NUM_THREADS',
];
/** Names the records use for the same allocator setting: renaming it is no change. */
const SAME_SETTING = [['PYTORCH_CUDA_ALLOC_CONF', 'PYTORCH_ALLOC_CONF']];

function runShEnv(dir: string) {
  const p = join(dir, 'run.sh');
  try {
    if (!statSync(p).isFile()) return [];
  } catch {
    return [];
  }
  return analyzeRunSh(readFileSync(p, 'utf8')).env;
}

type Keyed = FileFacts['seeds'][number];
const located = (facts: ScriptFacts, pick: (f: FileFacts) => Keyed[]) => parsedFiles(facts).flatMap(([file, f]) => pick(f).map((k) => ({ ...k, file })));

/** torch.compile modes, options and every compiler-stack setting (inductor, dynamo, functorch, caches, their environment variables) are the anchor's. */
export function checkCompileSettings(anchorFacts: ScriptFacts, candFacts: ScriptFacts, anchorDir: string, candidateDir: string): JudgeCheck {
  const modes = (f: ScriptFacts) => parsedFiles(f).flatMap(([file, x]) => x.compileModes.map((m) => ({ key: m.setting, file, line: m.line, code: m.code })));
  const settings = (f: ScriptFacts, dir: string) => [
    ...parsedFiles(f).flatMap(([file, x]) => x.inductorSettings.map((s) => ({ key: s.key, file, line: s.line, code: s.code }))),
    ...located(f, (x) => x.compilerSettings),
    ...runShEnv(dir)
      .filter((e) => /^(TORCHINDUCTOR_|TORCHDYNAMO_|TORCH_COMPILE|TORCH_INDUCTOR|TRITON_|TORCHFUNCTORCH_)/.test(e.name))
      .map((e) => ({ key: `env:${e.name}`, file: 'run.sh', line: e.line, code: `${e.name}=${e.value}` })),
  ];
  const aModes = new Set(modes(anchorFacts).map((m) => m.key));
  const aSettings = new Set(settings(anchorFacts, anchorDir).map((s) => s.key));
  const found = [...modes(candFacts).filter((m) => !aModes.has(m.key)), ...settings(candFacts, candidateDir).filter((s) => !aSettings.has(s.key))].filter(
    (s, i, all) => all.findIndex((t) => t.key === s.key && t.file === s.file && t.line === s.line) === i,
  );
  if (found.length) {
    return check(
      'compile-settings',
      false,
      `no compiler settings beyond the anchor's (torch.compile modes and options, inductor, dynamo and functorch config however set, compile caches, their environment variables): they trade compile time outside the timer for speed or carry work between runs; found ${listSome(found.map((s) => `${s.key} at ${at(s.file, s.line)}`))} (the anchor sets ${aSettings.size + aModes.size ? [...aModes, ...aSettings].join(', ') : 'none'})`,
      {
        where: at(found[0].file, found[0].line),
        fix: `remove ${quote(found[0].code, 100)}; the compiler runs with the anchor's settings`,
      },
    );
  }
  return check('compile-settings', true, "compiler modes and settings are the anchor's");
}

/** The environment is the harness's: run.sh sets only allow-listed variables, Python only the anchor's. */
export function checkEnvironment(anchorFacts: ScriptFacts, candFacts: ScriptFacts, candidateDir: string): JudgeCheck {
  const anchorNames = new Set(located(anchorFacts, (f) => f.envWrites).map((e) => e.key));
  for (const group of SAME_SETTING) if (group.some((n) => anchorNames.has(n))) group.forEach((n) => anchorNames.add(n));
  const bad = [
    ...runShEnv(candidateDir)
      .filter((e) => !RUN_SH_ENV_ALLOW.includes(e.name))
      .map((e) => ({ name: e.name, where: at('run.sh', e.line), code: `${e.name}=${e.value}` })),
    ...located(candFacts, (f) => f.envWrites)
      .filter((e) => !anchorNames.has(e.key))
      .map((e) => ({ name: e.key, where: at(e.file, e.line), code: e.code })),
  ];
  if (bad.length) {
    return check(
      'environment',
      false,
      `the environment must stay the harness's: run.sh may set only ${RUN_SH_ENV_ALLOW.join(', ')}, and the Python code only what the anchor sets (${[...anchorNames].join(', ') || 'nothing'}); found ${listSome(bad.map((b) => `${b.name} at ${b.where}`))}`,
      {
        where: bad[0].where,
        fix: `remove ${quote(bad[0].code, 100)}`,
      },
    );
  }
  return check('environment', true, "no environment variables beyond the allow list and the anchor's");
}

/** No seed picking: the candidate seeds no random generator the anchor does not. */
export function checkSeeds(anchorFacts: ScriptFacts, candFacts: ScriptFacts): JudgeCheck {
  const known = new Set(located(anchorFacts, (f) => f.seeds).map((s) => s.code));
  const bad = located(candFacts, (f) => f.seeds).filter((s) => !known.has(s.code));
  if (bad.length) {
    return check(
      'seed',
      false,
      `no seed picking: a run's randomness must be the anchor's (a chosen seed can be picked for a lucky run); found ${listSome(bad.map((s) => `${quote(s.code)} at ${at(s.file, s.line)}`))}`,
      {
        where: at(bad[0].file, bad[0].line),
        fix: `remove ${quote(bad[0].code, 100)}`,
      },
    );
  }
  return check('seed', true, "no seeds beyond the anchor's");
}
