import { Command } from 'commander';
import { z } from 'zod';
import { writeSynthDataset, SYNTH_PROCESS } from '../../tokenShards/synth';
import { SHARD_MAX_TOKENS } from '../../domain/shards';

const count = (what: string, max: number) =>
  z.coerce
    .number({ error: `${what} must be a number` })
    .int({ error: `${what} must be a whole number` })
    .min(1, { error: `${what} must be at least 1` })
    .max(max, { error: `${what} must be at most ${max}` });

const SynthArgs = z.object({
  out: z.string({ error: '--out DIR is required' }).min(1, { error: '--out must name a directory' }),
  trainShards: count('--train-shards', 999999),
  tokensPerShard: count('--tokens-per-shard', SHARD_MAX_TOKENS),
  seed: z.coerce
    .number()
    .int({ error: '--seed must be a whole number' })
    .min(0, { error: '--seed must be ≥ 0' })
    .max(0xffffffff, { error: '--seed must be < 2^32' }),
  valTokens: count('--val-tokens', SHARD_MAX_TOKENS),
});

export function registerDataCommands(program: Command): void {
  const data = program.command('data').description('Token shards for the speedrun');
  data
    .command('synth')
    .description('Write a deterministic synthetic dataset in the speedrun shard format (the tiny speedrun reads it)')
    .requiredOption('--out <dir>', 'directory for fineweb_val_000000.bin, fineweb_train_000001.bin, …')
    .requiredOption('--train-shards <n>', 'number of train shards')
    .requiredOption('--tokens-per-shard <m>', 'tokens in each train shard')
    .option('--seed <s>', 'seed of the generator', '1337')
    .option('--val-tokens <v>', 'tokens in the val shard', '65536')
    .action(async (raw: Record<string, unknown>) => {
      const parsed = SynthArgs.safeParse(raw);
      if (!parsed.success) throw new Error(parsed.error.issues.map((i) => i.message).join('; '));
      const o = parsed.data;
      const s = await writeSynthDataset({ outDir: o.out, trainShards: o.trainShards, tokensPerShard: o.tokensPerShard, seed: o.seed, valTokens: o.valTokens });
      console.log(
        `wrote ${s.files.length} shards to ${o.out} (1 val × ${o.valTokens} tokens, ${o.trainShards} train × ${o.tokensPerShard} tokens, seed ${o.seed})`,
      );
      console.log(`vocabulary: ${SYNTH_PROCESS.vocabSize} ids, BOS ${SYNTH_PROCESS.bosId}`);
      console.log(`unigram entropy:   ${s.unigramEntropyNats.toFixed(4)} nats/token`);
      console.log(`true entropy rate: ${s.entropyRateNats.toFixed(4)} nats/token (no model can average below this)`);
    });
}
