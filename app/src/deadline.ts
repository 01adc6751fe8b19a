// A bound on how long the API waits for a dependency. The drivers' own timeouts leave gaps:
// node-redis stops counting once a command is written to the socket, so a server that accepts
// commands but never answers would hold the caller for ever.

/** `work`'s result, or an Error `<what> within <millis> ms` once millis have passed first. */
export async function withDeadline<T>(
  work: Promise<T>,
  millis: number,
  what = 'no answer',
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${millis} ms`)), millis);
  });
  // Promise.race subscribes to `work`, so a late failure is handled, never unhandled.
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
