import type { Agent, AgentContext } from './agent';
import { claudeCodeApis, claudeCodeLaunch, claudeCodePassEnv, readClaudeEvent } from './claudeCode';
import { MODEL_APIS } from './modelApis';
import { codexLaunch, codexPassEnv, readCodexEvent } from './codex';
import { renderKind } from './prompts';

export const RESULTS_HEADER = 'commit\ttrain_time_ms\tval_loss\tstatus\tdescription';

export function autoresearchBranch(sessionId: string): string {
  return `autoresearch/${
    sessionId
      .replace(/[^A-Za-z0-9._-]/g, '-')
      .replace(/^[.-]+/, '')
      .slice(0, 80) || 'session'
  }`;
}

/**
 * Puts the workspace on the experiment branch before the driver starts: a git repository whose
 * first commit is the starting record, results.tsv (untracked) with its header. Safe to repeat:
 * on a relaunch the branch, its commits and the table are left as the agent left them.
 */
export const SETUP_SCRIPT = [
  'set -eu',
  'branch="$1"; shift',
  'if [ ! -d .git ]; then',
  '  git init -q -b "$branch"',
  `  printf '%s\\n' results.tsv run.log 'submissions/' '.claude/' '.codex/' '__pycache__/' '*.log' > .gitignore`,
  '  git add -A && git commit -q -m "baseline: the starting record"',
  'elif ! git rev-parse -q --verify "refs/heads/$branch" >/dev/null; then',
  '  git checkout -q -b "$branch"',
  'fi',
  `[ -f results.tsv ] || printf '${RESULTS_HEADER.replace(/\t/g, '\\t')}\\n' > results.tsv`,
  'exec "$@"',
].join('\n');

const KICKOFF =
  'Read program.md and TASK.md in this folder, then start the experiment loop that program.md describes. Never stop looping: nobody will answer questions.';

/**
 * An experiment loop on a git branch, after karpathy's autoresearch: the harness writes the
 * never-stop program (program.md) and the task (TASK.md), sets the branch up, and has a coding CLI
 * (claude-code or codex) run the program: propose → run → record in results.tsv → keep or revert.
 */
export const autoresearchAgent: Agent = {
  name: 'autoresearch',
  finishesOnExit: false,
  output: 'jsonl',
  launch(ctx: AgentContext) {
    const branch = autoresearchBranch(ctx.sessionId);
    const prompt = ctx.launch === 1 && !ctx.resumeId ? KICKOFF : `${ctx.prompt}\n\nThen continue the loop of program.md on the branch ${branch}.`;
    const driver = ctx.spec.autoresearchDriver === 'codex' ? codexLaunch(ctx, prompt) : claudeCodeLaunch(ctx, prompt);
    const program = renderKind('autoresearch-program', { workspace: ctx.paths.workspace, spec: ctx.spec, targetValLoss: ctx.targetValLoss, branch });
    return {
      argv: ['bash', '-c', SETUP_SCRIPT, 'autoresearch-setup', branch, ...driver.argv],
      env: {
        ...driver.env,
        GIT_AUTHOR_NAME: 'autoresearch',
        GIT_AUTHOR_EMAIL: 'autoresearch@nanogpt-bench.invalid',
        GIT_COMMITTER_NAME: 'autoresearch',
        GIT_COMMITTER_EMAIL: 'autoresearch@nanogpt-bench.invalid',
      },
      files: { 'program.md': program, 'TASK.md': ctx.taskPrompt },
    };
  },
  passEnv: (spec) => (spec.autoresearchDriver === 'codex' ? codexPassEnv(spec) : claudeCodePassEnv(spec)),
  modelApis: (spec) => (spec.autoresearchDriver === 'codex' ? MODEL_APIS.openai : claudeCodeApis(spec)),
  readEvent: (line) => readClaudeEvent(line),
};

/** The autoresearch agent reads its driver's stream: which one depends on the spec. */
export function autoresearchFor(driver: 'claude-code' | 'codex'): Agent {
  return { ...autoresearchAgent, readEvent: driver === 'codex' ? readCodexEvent : readClaudeEvent };
}
