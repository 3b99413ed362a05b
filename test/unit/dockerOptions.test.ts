import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_ULIMITS, dockerSandboxOptionsFromEnv, resolveDockerOptions } from '../../src/sandbox/docker/options';

describe("the Docker sandbox's settings from the worker's environment", () => {
  it('NANOGPT_BENCH_DOCKER_ULIMITS replaces the default limits (an engine without CAP_SYS_RESOURCE cannot grant them)', () => {
    const o = dockerSandboxOptionsFromEnv({ NANOGPT_BENCH_DOCKER_ULIMITS: 'memlock=8388608:8388608,stack=-1:-1' });
    assert.deepEqual(o.ulimits, [
      { Name: 'memlock', Soft: 8388608, Hard: 8388608 },
      { Name: 'stack', Soft: -1, Hard: -1 },
    ]);
    assert.deepEqual(resolveDockerOptions(o).ulimits, o.ulimits);
    assert.deepEqual(resolveDockerOptions(dockerSandboxOptionsFromEnv({})).ulimits, DEFAULT_ULIMITS, 'unset: the defaults');
  });

  it('refuses a malformed NANOGPT_BENCH_DOCKER_ULIMITS, naming it and what it expects', () => {
    for (const bad of ['memlock', 'memlock=1', 'memlock=1:x', 'memlock=1:1;stack=1:1', ''])
      assert.throws(() => dockerSandboxOptionsFromEnv({ NANOGPT_BENCH_DOCKER_ULIMITS: bad }), /NANOGPT_BENCH_DOCKER_ULIMITS.*name=soft:hard/, bad);
  });
});
