import { DomainError, type CommandResult, type Emit, type Logger, type TogetherApply, type Tx, type WorkItem } from '../../core/index.ts'
import type { Catalogue } from './define.ts'

/** A batch handler as the kit calls it: each message as `{event, emit}`, `{command, emit}` (or more), a command batch answering. */
export interface BatchHandler {
  batch(items: Record<string, unknown>[], ctx: { tx: Tx; log: Logger }): Promise<(CommandResult | DomainError)[] | void>
}

export const isBatched = (handler: unknown): handler is BatchHandler => typeof handler === 'object' && handler !== null && typeof (handler as { batch?: unknown }).batch === 'function'

/** What each item a batch handler is given holds beside its `emit`: its event or its command, and what else its consumer tells. */
const subjects = new WeakMap<WorkItem<Catalogue>, Record<string, unknown>>()

/** The item, known from now on to be about `subject` (`{event}` or `{command}`) when given to a batch handler. */
export function about<I extends WorkItem<Catalogue>>(item: I, subject: Record<string, unknown>): I {
  subjects.set(item, subject)
  return item
}

/** The items of a batch handler that arrived together go to one call; each alone is a batch of one. */
export function togetherFor(handler: BatchHandler, log: Logger): TogetherApply<Catalogue> {
  return {
    async apply(tx, list) {
      const answers = await handler.batch(list.map(({ item, emit }) => ({ ...subjects.get(item), emit })), { tx, log })
      if (answers && answers.length !== list.length) throw new Error(`a batch handler answered ${answers.length} times for ${list.length} messages`)
      return answers ?? list.map(() => undefined)
    },
  }
}

/** The item applied as a batch of one: what a batch handler's item does when it is applied on its own. */
export async function applyAlone(together: TogetherApply<Catalogue>, item: WorkItem<Catalogue>, tx: Tx, emit: Emit<Catalogue>): Promise<CommandResult | void> {
  const [answer] = await together.apply(tx, [{ item, emit }])
  if (answer instanceof DomainError) throw answer
  return answer
}
