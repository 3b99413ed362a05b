import type { Agent } from './agent';

/** Any CLI given as argv in the spec, relaunched when it exits before the session ends. */
export const commandAgent: Agent = {
  name: 'command',
  finishesOnExit: false,
  launch: (ctx) => ({
    argv: ctx.spec.agentCommand ?? [],
    env: { NANOGPT_BENCH_LAUNCH: String(ctx.launch) },
    passEnv: [],
  }),
};
