/** Settles like `promise`, or rejects with `onTimeout()` after `ms`; the timer never outlives the race. */
export function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error = () => new Error(`timed out after ${ms} ms`)): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
