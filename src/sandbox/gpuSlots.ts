/**
 * The GPUs of this worker's node, counted: a timed run takes its session's GPU count before its
 * process starts and gives it back when the process has ended, so the node never times more runs
 * at once than it has GPUs (validations are promised exclusive GPUs). First come, first served.
 * Counted, not assigned: which devices a run sees is still the sandbox's business.
 */
export class GpuSlots {
  private free: number;
  private readonly waiting: { gpus: number; go: () => void }[] = [];

  constructor(readonly total: number) {
    if (!Number.isInteger(total) || total < 1) throw new Error(`gpus: expected a positive whole number, got ${total}`);
    this.free = total;
  }

  /**
   * Waits until `gpus` are free (a run asking for more than the node has gets all of them), calling
   * `whileWaiting` every `everyMs` (a heartbeat), and returns the function that gives them back. An
   * abort (the activity cancelled) leaves the line.
   */
  async take(gpus: number, whileWaiting: () => void, abort?: AbortSignal, everyMs = 2000): Promise<() => void> {
    const want = Math.min(gpus, this.total);
    if (this.waiting.length === 0 && this.free >= want) return this.hold(want);
    abort?.throwIfAborted();
    const beat = setInterval(whileWaiting, everyMs);
    let waiter: { gpus: number; go: () => void } | undefined;
    try {
      await new Promise<void>((go, fail) => {
        waiter = { gpus: want, go };
        this.waiting.push(waiter);
        abort?.addEventListener('abort', () => fail(abort.reason instanceof Error ? abort.reason : new Error('aborted while waiting for GPUs')), {
          once: true,
        });
      });
    } catch (err) {
      // Not woken (a woken waiter's promise has already resolved): it leaves the line.
      this.waiting.splice(this.waiting.indexOf(waiter!), 1);
      throw err;
    } finally {
      clearInterval(beat);
    }
    return this.hold(want, true);
  }

  /** A run found already running (its worker restarted): it holds its GPUs whether or not the count allows. */
  takeNow(gpus: number): () => void {
    return this.hold(Math.min(gpus, this.total));
  }

  private hold(gpus: number, reserved = false): () => void {
    if (!reserved) this.free -= gpus;
    let given = false;
    return () => {
      if (given) return;
      given = true;
      this.free += gpus;
      this.wake();
    };
  }

  private wake(): void {
    while (this.waiting.length > 0 && this.free >= this.waiting[0].gpus) {
      const next = this.waiting.shift()!;
      this.free -= next.gpus;
      next.go();
    }
  }
}
