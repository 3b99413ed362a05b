import type { SessionSpec } from '../domain/spec';
import type { Agent } from './agent';
import { autoresearchFor } from './autoresearch';
import { claudeCodeAgent } from './claudeCode';
import { codexAgent } from './codex';
import { commandAgent } from './command';
import { replayAgent } from './replay';

/** The adapter a session's spec names (autoresearch reads the stream of the CLI that drives it). */
export function agentFor(spec: Pick<SessionSpec, 'agent' | 'autoresearchDriver'>): Agent {
  switch (spec.agent) {
    case 'replay':
      return replayAgent;
    case 'command':
      return commandAgent;
    case 'claude-code':
      return claudeCodeAgent;
    case 'codex':
      return codexAgent;
    case 'autoresearch':
      return autoresearchFor(spec.autoresearchDriver ?? 'claude-code');
  }
}
