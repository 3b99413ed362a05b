import type { Agent } from './agent';
import { plainTextEvent } from './agent';

/** Any CLI given as argv in the spec, relaunched when it exits before the session ends. */
export const commandAgent: Agent = {
  name: 'command',
  finishesOnExit: false,
  output: 'text',
  launch: (ctx) => ({
    argv: ctx.spec.agentCommand ?? [],
    env: { NANOGPT_BENCH_LAUNCH: String(ctx.launch), NANOGPT_BENCH_PROMPT: ctx.prompt },
    files: { 'TASK.md': ctx.taskPrompt },
  }),
  passEnv: (spec) => [...spec.agentPassEnv],
  // Its endpoints, if it has any, are the session's agentEgress.
  modelApis: () => [],
  readEvent: plainTextEvent,
};
