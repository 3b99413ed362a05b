import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spendFromUsage } from '../../src/agents/spend';
import { PRICE_TABLE_VERSION, priceFor } from '../../src/agents/prices';
import { spendLimitReason, viewSpend } from '../../src/domain/agentSpend';
import { parseSessionSpec } from '../../src/domain/spec';
import { codexProviderArgs } from '../../src/agents/codex';

const launch = (over: Record<string, unknown>) => ({
  inputTokens: 1000,
  outputTokens: 100,
  cachedInputTokens: 400,
  cacheWriteTokens: 0,
  costUsd: null,
  turns: 1,
  reported: true,
  ...over,
});

describe('model spend beside the GPU budget', () => {
  it('takes the cost claude reports, and prices codex tokens with the versioned table (cached input counted once)', () => {
    const claude = spendFromUsage(
      { agent: 'claude-code', launches: { '1': launch({ costUsd: 0.25 }), '2': launch({ costUsd: 0.5 }) } },
      { agent: 'claude-code', autoresearchDriver: 'claude-code' },
      0,
    )!;
    assert.deepEqual([claude.costUsd, claude.tokens, claude.pricedBy], [0.75, 2 * (1000 + 100 + 400), 'cli']);
    const codex = spendFromUsage(
      { agent: 'codex', launches: { '1': launch({}) } },
      { agent: 'codex', autoresearchDriver: 'claude-code', agentModel: 'gpt-5-codex' },
      0,
    )!;
    // gpt-5: 600 uncached × $1.25 + 400 cached × $0.125 + 100 out × $10, per million.
    assert.equal(codex.costUsd, (600 * 1.25 + 400 * 0.125 + 100 * 10) / 1e6);
    assert.equal(codex.tokens, 1100);
    assert.equal(codex.pricedBy, `price-table@${PRICE_TABLE_VERSION}`);
  });

  it('prices a model the table lacks at its dearest entry, and a launch killed before reporting adds nothing', () => {
    assert.equal(priceFor('gpt-5-mini-2026').price.output, 2, 'the longest prefix wins');
    const unknown = spendFromUsage(
      { agent: 'codex', launches: { '1': launch({}), '2': launch({ reported: false }) } },
      { agent: 'codex', autoresearchDriver: 'claude-code', agentModel: 'mystery-1' },
      0,
    )!;
    assert.match(unknown.pricedBy, /\+fallback$/);
    assert.equal(unknown.costUsd, (600 * 15 + 400 * 1.5 + 100 * 75) / 1e6);
    assert.equal(
      spendFromUsage({ agent: 'codex', launches: { '1': launch({ reported: false }) } }, { agent: 'codex', autoresearchDriver: 'claude-code' }, 0),
      null,
    );
  });

  it('names the limit reached, and shows spend against limits', () => {
    const spec = parseSessionSpec({ agent: 'claude-code', budgetGpuHours: 1, agentCostLimitUsd: 1, agentTokenLimit: 5000 });
    const spend = { costUsd: 0.4, tokens: 4000, pricedBy: 'cli', atMs: 0 };
    assert.equal(spendLimitReason(spec, spend), null);
    assert.match(spendLimitReason(spec, { ...spend, costUsd: 1.2 })!, /^agent cost limit reached: \$1\.2000 of \$1$/);
    assert.match(spendLimitReason(spec, { ...spend, tokens: 5000 })!, /^agent token limit reached: 5000 of 5000 tokens$/);
    assert.deepEqual(viewSpend(spec, null), { costUsd: 0, tokens: 0, costLimitUsd: 1, tokenLimit: 5000, pricedBy: null, asOf: null });
    assert.throws(() => parseSessionSpec({ agent: 'codex', budgetGpuHours: 1, agentCostLimitUsd: -1 }), /agentCostLimitUsd/);
  });

  it('codex gets a Responses provider at the worker`s OPENAI_BASE_URL (it ignores the variable itself)', () => {
    const args = codexProviderArgs(undefined, { OPENAI_BASE_URL: 'https://gateway.lab.example/v1' }).join(' ');
    assert.match(args, /model_provider="nanogpt-bench"/);
    assert.match(args, /base_url = "https:\/\/gateway\.lab\.example\/v1", wire_api = "responses", env_key = "OPENAI_API_KEY"/);
    assert.match(codexProviderArgs(undefined, {}).join(' '), /base_url = "https:\/\/api\.openai\.com\/v1"/);
    assert.deepEqual(codexProviderArgs('azure', {}), ['-c', 'model_provider="azure"']);
  });
});
