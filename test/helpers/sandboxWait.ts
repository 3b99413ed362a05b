import type { ProcessStatus, Sandbox, SandboxHandle } from '../../src/sandbox/sandbox';
import { eventually } from './harness';

export type ExitedStatus = Extract<ProcessStatus, { state: 'exited' }>;

/** The status when the process has exited, else null (for `eventually`). */
export const done = (st: ProcessStatus): ExitedStatus | null => (st.state === 'exited' ? st : null);

/** Waits for a sandbox process to exit, and gives its final status. */
export function exitedStatus(sb: Sandbox, h: SandboxHandle, name: string, timeoutMs = 120_000): Promise<ExitedStatus> {
  return eventually(`${name} to exit`, async () => done(await sb.status(h, name)), timeoutMs);
}
