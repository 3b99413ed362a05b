import type Docker from 'dockerode';

/** The HTTP status of an engine error, when it has one. */
export function statusOf(err: unknown): number | undefined {
  return (err as { statusCode?: number }).statusCode;
}

/** Turns the engine's answer for "already so" (304, 404, 409 as given) into nothing. */
export function ignoreStatus(...codes: number[]) {
  return (err: unknown): null => {
    if (codes.includes(statusOf(err) ?? -1)) return null;
    throw err;
  };
}

/** Starts an exec without attaching; the engine's answer is a stream that must be closed or it keeps the process alive. */
export async function startDetached(exec: Docker.Exec): Promise<void> {
  const stream = (await exec.start({ Detach: true })) as unknown as { resume?: () => void; destroy?: () => void } | undefined;
  stream?.resume?.();
  stream?.destroy?.();
}

export async function inspectExec(docker: Docker, id: string): Promise<Docker.ExecInspectInfo | null> {
  return (await docker.getExec(id).inspect().catch(ignoreStatus(404))) ?? null;
}

/** Runs a short command in a container and waits for its exit code. */
export async function execRun(docker: Docker, containerId: string, argv: string[]): Promise<number | null> {
  const exec = await docker.getContainer(containerId).exec({ Cmd: argv, AttachStdout: true, AttachStderr: true, Tty: false });
  const stream = await exec.start({ hijack: true, stdin: false });
  await new Promise<void>((resolve) => {
    stream
      .on('end', resolve)
      .on('close', resolve)
      .on('error', () => resolve());
    stream.resume();
  });
  // A hijacked connection stays open past the end of output unless closed here.
  (stream as unknown as { destroy?: () => void }).destroy?.();
  return (await exec.inspect()).ExitCode;
}
