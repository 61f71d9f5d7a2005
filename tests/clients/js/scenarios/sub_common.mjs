// Shared by the subscription scenarios: run `start(sink)` (which returns an unsubscribe
// function) and resolve once the results have changed `input.changes` times after the first.
export function collect(input, start) {
  const changes = input.changes ?? 1;
  const timeoutMs = input.timeoutMs ?? 15000;
  return new Promise((resolve) => {
    const results = [];
    let stop = () => {};
    let done = false;
    const finish = (error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try {
        stop();
      } catch {
        // already stopped
      }
      resolve({ results, error: error ? String(error?.message ?? JSON.stringify(error)) : null });
    };
    const timer = setTimeout(() => finish(new Error(`timeout after ${timeoutMs} ms`)), timeoutMs);
    const distinct = () => new Set(results.map((r) => JSON.stringify(r))).size;
    stop =
      start({
        next: (value) => {
          results.push(value);
          if (distinct() > changes) finish(null);
        },
        error: (error) => finish(error ?? new Error("error")),
        complete: () => finish(new Error("completed")),
      }) ?? stop;
  });
}
