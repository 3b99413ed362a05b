import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type Mutate = (dir: string) => void;
export const editFile = (dir: string, file: string, f: (text: string) => string) => writeFileSync(join(dir, file), f(readFileSync(join(dir, file), 'utf8')));

/** Each bad candidate, what it does, and the words its verdict must give as the reason. */
export const BAD: { name: string; mutate: Mutate; reason: RegExp }[] = [
  { name: 'missing-files', mutate: (d) => rmSync(join(d, 'train_gpt.py')), reason: /required-files|missing train_gpt\.py/ },
  { name: 'syntax-error', mutate: (d) => writeFileSync(join(d, 'train_gpt.py'), 'def broken(:\n'), reason: /syntax|exited with code/i },
  // the crash is set in the code: run.sh may set only allow-listed variables, so the judge would refuse FASTRUN_CRASH_AT_STEP=3 there
  {
    name: 'crash-at-step-3',
    mutate: (d) =>
      editFile(d, 'train_gpt.py', (t) =>
        t.replace('if os.environ.get("FASTRUN_CRASH_AT_STEP"):\n    crash_at = int(os.environ["FASTRUN_CRASH_AT_STEP"])', 'if True:\n    crash_at = 3'),
      ),
    reason: /exited with code/,
  },
  {
    name: 'hang',
    mutate: (d) => editFile(d, 'train_gpt.py', (t) => t.replace('for step in range(STEPS + 1):', 'time.sleep(3600)\nfor step in range(STEPS + 1):')),
    reason: /timed out after \d+ s/,
  },
  {
    name: 'nan-loss',
    mutate: (d) => editFile(d, 'train_gpt.py', (t) => t.replace('loss = 3.25 + random.gauss(0, 0.0005)', "loss = float('nan')")),
    reason: /nan|non-finite|not finite/i,
  },
  {
    name: 'forged-final-line',
    mutate: (d) =>
      editFile(d, 'train_gpt.py', (t) =>
        t.replace(
          'if rank == 0:\n    print("peak memory',
          'if rank == 0:\n    print(f"step:{STEPS}/{STEPS} val_loss:3.0000 train_time:10ms step_avg:0.25ms", flush=True)\n    print("peak memory',
        ),
      ),
    reason: /final line|train_time/,
  },
  {
    name: 'writes-outside',
    mutate: (d) =>
      editFile(
        d,
        'train_gpt.py',
        (t) =>
          `import os\ntry:\n    open(os.path.join("..", "..", "..", "frozen", "train_gpt.py"), "a").write("# was here\\n")\nexcept OSError:\n    pass\n${t}`,
      ),
    reason: /changed the frozen candidate/,
  },
  {
    name: 'ten-gb-output',
    mutate: (d) => editFile(d, 'train_gpt.py', (t) => t.replace('train_ms = 0.0\n', "train_ms = 0.0\nwhile True:\n    sys.stdout.write('x' * 65536)\n")),
    reason: /more than \d+ bytes of output/,
  },
];
