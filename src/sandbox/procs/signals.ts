/** The signals a sandbox delivers to a process on the harness's behalf. */
export type SandboxSignal = 'SIGTERM' | 'SIGKILL' | 'SIGINT';

const NAMES: Record<number, string> = { 1: 'SIGHUP', 2: 'SIGINT', 6: 'SIGABRT', 9: 'SIGKILL', 11: 'SIGSEGV', 13: 'SIGPIPE', 15: 'SIGTERM' };

/** The name of signal number `n` as a status reports it; numbers without a name stay numbers. */
export function signalName(n: number): string {
  return NAMES[n] ?? `signal ${n}`;
}
