import { signalName } from './signals';

/**
 * The bash wrapper every sandbox runs a process under, so that everything the harness needs to
 * know about a process is on disk: its output (capped with head -c; the writer dies of SIGPIPE
 * past the cap) and, once it ends, a status file written even though the worker that started it
 * may be gone by then.
 *
 *   bash -c WRAPPER sandbox-run CAP OUT EXITFILE PIDFILE OOM ARGV...
 *
 * PIDFILE empty: the command shares the wrapper's process group (the local sandbox signals that
 * whole group). PIDFILE set: the command gets a session and process group of its own (setsid;
 * the pipeline's head stays in the wrapper's group) and its leader's pid is written there, so a
 * signal to that group spares the wrapper, which must live on to record how the command ended. OOM non-empty: the memory cgroup's oom_kill counter is read
 * before and after, so a container can tell an out-of-memory kill from any other SIGKILL.
 *
 * The status file holds one line (then blanks to its reserved size): exit status (128+n for signal n), output bytes, end time in
 * epoch ms, the OOM kills seen while the command ran, and the output writer's status: not 0 when
 * the output could not be kept (its disk full: head exits 1, the command may still exit 0).
 */
export const PROCESS_WRAPPER = [
  'cap="$1"; out="$2"; exitfile="$3"; pidfile="$4"; oom="$5"; shift 5',
  'oom_kills() {',
  '  local n=0 k v f',
  '  for f in /sys/fs/cgroup/memory.events /sys/fs/cgroup/memory/memory.oom_control; do',
  '    [ -r "$f" ] || continue',
  '    while read -r k v; do [ "$k" = oom_kill ] && n=$((n + v)); done < "$f"',
  '  done',
  '  echo "$n"',
  '}',
  // The status file's room is taken before the command runs and written over in place at its end,
  // so a disk that fills meanwhile cannot keep the harness from learning how the command ended.
  'printf "%127s\\n" "" > "$exitfile.tmp"',
  'oom0=0; [ -n "$oom" ] && oom0=$(oom_kills)',
  'lead=(); [ -n "$pidfile" ] && lead=(setsid)',
  `"\${lead[@]}" bash -c '[ -n "$0" ] && echo "$$" > "$0"; exec "$@"' "$pidfile" "$@" 2>&1 < /dev/null | head -c "$cap" > "$out"`,
  'st=("${PIPESTATUS[@]}")',
  'sz=$(stat -c %s "$out")',
  'ooms=0; [ -n "$oom" ] && ooms=$(( $(oom_kills) - oom0 ))',
  'printf "%s %s %s %s %s\\n" "${st[0]}" "$sz" "$(date +%s%3N)" "$ooms" "${st[1]}" 1<> "$exitfile.tmp" && mv "$exitfile.tmp" "$exitfile"',
].join('\n');

/** argv that runs `argv` under the wrapper. */
export function wrapperArgv(o: { cap: number; out: string; exitFile: string; pidFile?: string; countOomKills?: boolean }, argv: string[]): string[] {
  return ['bash', '-c', PROCESS_WRAPPER, 'sandbox-run', String(o.cap), o.out, o.exitFile, o.pidFile ?? '', o.countOomKills ? '1' : '', ...argv];
}

export interface WrapperExit {
  exitCode: number | null;
  signal: string | null;
  outputBytes: number;
  endedAtMs: number | null;
  oomKills: number;
  /** The output writer failed (disk full): what the command printed is not all there. */
  outputLost: boolean;
}

/** Reads the wrapper's status line; exit statuses above 128 are deaths by signal. */
export function parseWrapperExit(text: string): WrapperExit {
  const [code, size, endedAt, ooms, writer] = text.trim().split(/\s+/);
  const n = Number(code);
  return {
    exitCode: n > 128 ? null : n,
    signal: n > 128 ? signalName(n - 128) : null,
    outputBytes: Number(size) || 0,
    endedAtMs: Number(endedAt) || null,
    oomKills: Number(ooms) || 0,
    // Absent from lines written before the field was added: read as kept.
    outputLost: (Number(writer) || 0) !== 0,
  };
}
