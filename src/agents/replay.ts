import { join } from 'node:path';
import type { Agent } from './agent';
import { plainTextEvent } from './agent';

/** Submits the anchor's record history in order: the harness's own calibration. */
export const replayAgent: Agent = {
  name: 'replay',
  finishesOnExit: true,
  output: 'text',
  launch: (ctx) => ({
    argv: ['python3', join(ctx.paths.tools, 'replay-agent'), ctx.historyDir, ...ctx.replayRecords],
    env: {},
  }),
  passEnv: () => [],
  modelApis: () => [],
  readEvent: plainTextEvent,
};
