// One turn of the event loop, so the page's messages (stop, pause, save) are handled between two
// training steps. Not setTimeout: chained timers are clamped to 4 ms, a tax on every step.
let channel: MessageChannel | null = null;
const waiting: Array<() => void> = [];

/** Resolves after the messages already queued for this thread have been handled. */
export function yieldToEvents(): Promise<void> {
  if (!channel) {
    channel = new MessageChannel();
    channel.port1.onmessage = () => waiting.shift()?.();
    // Node: the port must not keep a worker thread alive on its own
    (channel.port1 as { unref?(): void }).unref?.();
  }
  const port = channel.port2;
  return new Promise((resolve) => {
    waiting.push(resolve);
    port.postMessage(null);
  });
}
