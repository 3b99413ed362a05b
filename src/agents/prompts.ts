import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SessionSpec } from '../domain/spec';
import { repoRoot } from '../files/repoRoot';

/** The prompt texts every session of this build uses; bump with a new file, never edit one in place. */
export const PROMPT_VERSION = 'v2';

export type PromptKind = 'task' | 'resume' | 'autoresearch-program';

export function promptsDir(): string {
  return join(repoRoot(), 'src', 'agents', 'prompts');
}

export function promptTemplate(kind: PromptKind, version = PROMPT_VERSION): string {
  return readFileSync(join(promptsDir(), `${kind}.${version}.md`), 'utf8');
}

export interface PromptFacts {
  workspace: string;
  spec: SessionSpec;
  /** The val loss the session judges by (the spec's, else the anchor's: 3.28 or a family's own). */
  targetValLoss: number;
  /** For the autoresearch program: its git branch. */
  branch?: string;
}

/** Fills {{name}} placeholders; a placeholder without a value is an error, not silent text. */
export function renderPrompt(template: string, facts: PromptFacts): string {
  const { spec } = facts;
  const values: Record<string, string> = {
    workspace: facts.workspace,
    targetValLoss: String(facts.targetValLoss),
    alpha: String(spec.alpha),
    retimeRuns: String(spec.retimeRuns),
    budgetGpuHours: String(spec.budgetGpuHours),
    sessionHours: String(spec.sessionHours),
    gpus: String(spec.gpus),
    gpusPlural: spec.gpus === 1 ? '' : 's',
    ...(facts.branch ? { branch: facts.branch } : {}),
  };
  return template.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const v = values[name];
    if (v === undefined) throw new Error(`prompt placeholder {{${name}}} has no value`);
    return v;
  });
}

export function renderKind(kind: PromptKind, facts: PromptFacts, version = PROMPT_VERSION): string {
  return renderPrompt(promptTemplate(kind, version), facts);
}

/** What runs/<id>/agent/prompt.json records: which texts this session's agent was given. */
export interface PromptRecord {
  version: string;
  templates: Record<string, { file: string; sha256: string }>;
  /** sha256 of the task prompt as rendered for this session. */
  renderedTaskSha256: string;
}

export function promptRecord(kinds: PromptKind[], renderedTask: string, version = PROMPT_VERSION): PromptRecord {
  const templates: PromptRecord['templates'] = {};
  for (const k of kinds) templates[k] = { file: `src/agents/prompts/${k}.${version}.md`, sha256: sha256(promptTemplate(k, version)) };
  return { version, templates, renderedTaskSha256: sha256(renderedTask) };
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}
