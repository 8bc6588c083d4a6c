import type { Service } from '../../../core/index.ts'

/** A service whose worker applied a message, and when it took it in. */
export interface Consumer {
  service: string
  received_at: string
}

/** What `GET /applied?ids=a&ids=b…` of a worker answers: the ids its inbox holds. */
interface AppliedAnswer {
  applied: { message_id: string; consumer: string; received_at: string }[]
}

/** Ids asked of a worker at once, so that a long cascade does not make a URL too long for it. */
const IDS_PER_REQUEST = 100
/** Characters of query one request carries at most: well within the 16 KiB of request line and headers a worker takes. */
const QUERY_CHARS_PER_REQUEST = 8_000

/** The queries `ids=a&ids=b…` that ask of `ids` (each as it is: commas and all), each within both limits. */
function appliedQueries(ids: string[]): string[] {
  const queries: { params: string[]; chars: number }[] = []
  for (const id of ids) {
    const param = new URLSearchParams({ ids: id }).toString()
    const last = queries.at(-1)
    if (last && last.params.length < IDS_PER_REQUEST && last.chars + 1 + param.length <= QUERY_CHARS_PER_REQUEST) {
      last.params.push(param)
      last.chars += 1 + param.length
    } else queries.push({ params: [param], chars: param.length })
  }
  return queries.map((q) => q.params.join('&'))
}

export interface AppliedOptions {
  /** Each service's worker base URL. */
  workers: Record<Service, string>
  /** How long a worker has to answer; past it, it is unreachable. */
  timeoutMs: number
}

/** The inbox rows of one worker for `ids`; rejects when it cannot be reached, answers late or answers otherwise than it should. */
async function appliedAt(base: string, ids: string[], timeoutMs: number): Promise<AppliedAnswer['applied']> {
  const signal = AbortSignal.timeout(timeoutMs)
  const answers = await Promise.all(
    appliedQueries(ids).map(async (query) => {
      const res = await fetch(`${base.replace(/\/+$/, '')}/applied?${query}`, { signal })
      if (!res.ok) throw new Error(`answered ${res.status}`)
      const body = (await res.json()) as AppliedAnswer
      if (!Array.isArray(body.applied)) throw new Error('answered without `applied`')
      return body.applied
    }),
  )
  return answers.flat()
}

/**
 * Which services applied each of `ids`, asked of every worker at once. A
 * worker that does not answer within the timeout is named in `unreachable`
 * and leaves its part out: the rest is still told.
 */
export async function consumersOf(ids: string[], o: AppliedOptions): Promise<{ consumers: Map<string, Consumer[]>; unreachable: string[] }> {
  const consumers = new Map<string, Consumer[]>()
  const unreachable: string[] = []
  if (ids.length === 0) return { consumers, unreachable }
  const services = Object.entries(o.workers)
  const answers = await Promise.allSettled(services.map(([, base]) => appliedAt(base, ids, o.timeoutMs)))
  answers.forEach((answer, i) => {
    const service = services[i]![0]
    if (answer.status === 'rejected') return void unreachable.push(service)
    for (const a of answer.value) {
      const list = consumers.get(a.message_id) ?? []
      list.push({ service, received_at: a.received_at })
      consumers.set(a.message_id, list)
    }
  })
  for (const list of consumers.values()) list.sort((a, b) => a.received_at.localeCompare(b.received_at) || a.service.localeCompare(b.service))
  return { consumers, unreachable }
}
