import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** ../shared/fixtures relative to the repository root; tests run from the root (dist/test/unit → 3 up). */
export const FIXTURES = resolve(__dirname, '..', '..', '..', '..', 'shared', 'fixtures');
export const LOGS = join(FIXTURES, 'speedrun-logs');

export interface ExpectedLog {
  record: string;
  file: string;
  final_step: number;
  total_steps: number;
  val_loss: number;
  train_time_ms: number;
  complete: boolean;
}

export function expectedLogs(): ExpectedLog[] {
  return JSON.parse(readFileSync(join(LOGS, 'expected.json'), 'utf8')) as ExpectedLog[];
}

/** Final values of the fixture records whose name starts with `prefix`, in file order. */
export function group(prefix: string, field: 'val_loss' | 'train_time_ms'): number[] {
  return expectedLogs()
    .filter((r) => r.record.startsWith(prefix))
    .map((r) => r[field]);
}

/** Reference values produced once by test/fixtures-gen/stats_reference.py (scipy 1.17.1); see its docstring. */
export const SCIPY = {
  loss: [
    { name: 'all', prefix: '', target: 3.28, t: -8.224431860819532, df: 46.0, p: 6.917910330423685e-11 },
    { name: '2025-09', prefix: '2025-09', target: 3.28, t: -3.0378959737139413, df: 10.0, p: 0.006253706648028088 },
    { name: '2025-12', prefix: '2025-12', target: 3.279, t: -1.878393422357598, df: 9.0, p: 0.04652227628442979 },
    { name: '2026-02', prefix: '2026-02', target: 3.2785, t: 1.1058026689978375, df: 7.0, p: 0.8473187922301872 },
  ],
  time: [
    {
      name: '2026-02 vs 2026-01',
      candidate: '2026-02',
      reference: '2026-01',
      t: 4.591298711071219,
      df: 15.995044700702987,
      p: 0.00015066950649505648,
      ciLow: 5320.900184966681,
      ciHigh: 14449.622542306053,
    },
    {
      name: '2025-12-2 vs 2025-12-1',
      candidate: '2025-12-2',
      reference: '2025-12-1',
      t: 3.765248890029672,
      df: 5.786526466661215,
      p: 0.004994329976007881,
      ciLow: 3452.252783074944,
      ciHigh: 16602.84721692506,
    },
    {
      name: '2025-10 vs 2025-11 (slower)',
      candidate: '2025-10',
      reference: '2025-11',
      t: -2.784785330878128,
      df: 2.867907969119502,
      p: 0.9638361365204473,
      ciLow: -10380.459484805613,
      ciHigh: 827.1261514722992,
    },
  ],
} as const;
