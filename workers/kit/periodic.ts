import { describe } from '../../core/index.ts'
import type { BackgroundContext } from './define.ts'

/**
 * A background loop of a worker that runs `round` at once, then `everyMs`
 * after each round ends (never two at a time); a round that fails is logged
 * as `what` failed and the next one runs as planned. Stopping waits for the
 * round under way; `round` is told whether to stop early.
 */
export function periodic(what: string, everyMs: number, round: (ctx: BackgroundContext, stopped: () => boolean) => Promise<void>) {
  return (ctx: BackgroundContext) => {
    let stopped = false
    let timer: ReturnType<typeof setTimeout> | undefined
    let running: Promise<void> = Promise.resolve()
    const tick = () => {
      running = round(ctx, () => stopped)
        .catch((err) => ctx.log.warn(`${what} failed`, { error: describe(err) }))
        .finally(() => {
          if (!stopped) timer = setTimeout(tick, everyMs)
        })
    }
    timer = setTimeout(tick, 0)
    return async () => {
      stopped = true
      clearTimeout(timer)
      await running
    }
  }
}
