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
  node: 'nanogpt-bench.node',
} as const;

/**
 * A container name per sandbox, readable and unique for its labels. `node`: the fleet node whose
 * worker made it, where several nodes may share an engine: a session that moved gets a container
 * of its own on the new node, and the old one stays the lost node's to end.
 */
export function containerName(l: SandboxLabels, node?: string): string {
  const parts = ['nanogpt-bench', safeName(l.sessionId), l.role];
  if (l.subject !== undefined) parts.push(safeName(l.subject));
  if (l.runIndex !== undefined) parts.push(String(l.runIndex));
  if (node !== undefined) parts.push(`on-${safeName(node)}`);
  return parts.join('.');
}

export function labelsOf(l: SandboxLabels, node?: string): Record<string, string> {
  return {
    [LABEL.session]: l.sessionId,
    [LABEL.role]: l.role,
    ...(l.subject !== undefined ? { [LABEL.subject]: l.subject } : {}),
    ...(l.runIndex !== undefined ? { [LABEL.run]: String(l.runIndex) } : {}),
    ...(node !== undefined ? { [LABEL.node]: node } : {}),
  };
}
