export { DockerSandbox } from './sandbox';
export { DEFAULT_ULIMITS, dockerSandboxOptionsFromEnv, type DockerSandboxOptions } from './options';
export { EGRESS_PROXY_URL } from './egress';
export { IN_SANDBOX, LABEL, containerName, labelsOf } from './paths';
