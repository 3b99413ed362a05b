import { createHash } from 'node:crypto';

/**
 * A speedrun log begins with the record's code as it ran: the training script prints its own
 * source (`train_gpt.py`, then `triton_kernels.py` after a banner of dashes where the record has
 * one) and then a line of 100 `=` before the run's output. Cutting there gives back the files.
 */
const END_OF_CODE = `\n${'='.repeat(100)}\n`;
const KERNELS_BANNER = `\n\n${'-'.repeat(40)}\n# triton_kernels.py\n${'-'.repeat(40)}\n\n`;
/** The speedrun's launcher, the same for every record (DESIGN: the speedrun facts). */
export const SPEEDRUN_RUN_SH = 'torchrun --standalone --nproc_per_node=8 train_gpt.py\n';

export interface CutFile {
  name: string;
  content: string;
  bytes: number;
  sha256: string;
}

/** The files a log's head carries, with run.sh beside them; null when the head holds no code. */
export function cutCodeFromLogHead(log: string): CutFile[] | null {
  const end = log.indexOf(END_OF_CODE);
  if (end <= 0) return null;
  const head = log.slice(0, end);
  // Every script of the speedrun reads its own source first: a head without that is not code.
  if (!/^import |\nimport /.test(head.slice(0, 2000))) return null;
  const split = head.indexOf(KERNELS_BANNER);
  const parts: [string, string][] =
    split < 0
      ? [['train_gpt.py', head]]
      : [
          ['train_gpt.py', head.slice(0, split)],
          ['triton_kernels.py', head.slice(split + KERNELS_BANNER.length)],
        ];
  // The newline print() adds after the code is the one before the line of `=`: the files are exact.
  return [file('run.sh', SPEEDRUN_RUN_SH), ...parts.map(([name, text]) => file(name, text))];
}

function file(name: string, content: string): CutFile {
  const buf = Buffer.from(content, 'utf8');
  return { name, content, bytes: buf.length, sha256: createHash('sha256').update(buf).digest('hex') };
}
