import type { SandboxLabels } from '../sandbox';
import { safeName } from '../../files/layout';

/** Where the sandbox's processes find what the harness provides. */
export const IN_SANDBOX = {
  workspace: '/workspace',
  data: '/data',
  relay: '/run/nanogpt-bench',
  tools: '/opt/nanogpt-bench/bin',
  /** The host's <stateDir>/procs: output and status files of the sandbox's processes. */
  procs: '/opt/nanogpt-bench/procs',
  /** The host's <stateDir>/egress: the worker's filtering proxy's socket (the folder: see DESIGN.md). */
  egress: '/run/nanogpt-bench-egress',
} as const;

export const LABEL = {
  session: 'nanogpt-bench.session',
  role: 'nanogpt-bench.role',
  subject: 'nanogpt-bench.subject',
  run: 'nanogpt-bench.run',
} as const;

/** A container name per sandbox, readable and unique for its labels. */
export function containerName(l: SandboxLabels): string {
  const parts = ['nanogpt-bench', safeName(l.sessionId), l.role];
  if (l.subject !== undefined) parts.push(safeName(l.subject));
  if (l.runIndex !== undefined) parts.push(String(l.runIndex));
  return parts.join('.');
}

export function labelsOf(l: SandboxLabels): Record<string, string> {
  return {
    [LABEL.session]: l.sessionId,
    [LABEL.role]: l.role,
    ...(l.subject !== undefined ? { [LABEL.subject]: l.subject } : {}),
    ...(l.runIndex !== undefined ? { [LABEL.run]: String(l.runIndex) } : {}),
  };
}
