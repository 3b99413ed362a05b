import type { AgentName } from '../domain/spec';
import type { Agent } from './agent';
import { commandAgent } from './command';
import { replayAgent } from './replay';

const agents: Partial<Record<AgentName, Agent>> = { replay: replayAgent, command: commandAgent };

export function agentFor(name: AgentName): Agent {
  const agent = agents[name];
  if (!agent) throw new Error(`agent ${name} is not available in this build (available: ${Object.keys(agents).join(', ')})`);
  return agent;
}
