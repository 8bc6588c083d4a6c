import { describe } from '../../core/index.ts'
import { appliedIds, type AppliedMessage } from './applied.ts'
import type { Metrics } from './metrics.ts'

export interface WorkerHttpOptions {
  port: number
  hostname: string
  service: string
  metrics: Metrics
  /** Problems that make the worker unready; empty when ready. */
  ready(): Promise<string[]>
  /** Which of `ids` this worker applied (its inbox rows). */
  applied(ids: string[]): Promise<AppliedMessage[]>
}

/**
 * `/health` (the process runs), `/ready` (database and broker reachable),
 * `/metrics`, and `/applied?ids=a&ids=b…` (which of those messages this
 * worker applied, from its inbox: a cascade's lineage reads it); nothing else.
 */
export function serveWorkerHttp(o: WorkerHttpOptions) {
  const server = Bun.serve({
    port: o.port,
    hostname: o.hostname,
    async fetch(req) {
      const url = new URL(req.url)
      const path = url.pathname
      if (path === '/health') return Response.json({ status: 'ok', service: `${o.service}-worker` })
      if (path === '/ready') {
        const problems = await o.ready()
        return Response.json({ status: problems.length ? 'unavailable' : 'ready', problems }, { status: problems.length ? 503 : 200 })
      }
      if (path === '/metrics') return new Response(await o.metrics.render(), { headers: { 'content-type': 'text/plain; version=0.0.4' } })
      if (path === '/applied') {
        const asked = appliedIds(url.searchParams.getAll('ids'))
        if ('problem' in asked) return Response.json({ error: 'VALIDATION_FAILED', message: `invalid query: ${asked.problem.path} ${asked.problem.message}`, problems: [asked.problem] }, { status: 422 })
        try {
          return Response.json({ service: o.service, applied: await o.applied(asked.ids) })
        } catch (err) {
          return Response.json({ error: 'UNAVAILABLE', message: `the inbox cannot be read now: ${describe(err)}` }, { status: 503, headers: { 'retry-after': '5' } })
        }
      }
      return Response.json({ error: 'NOT_FOUND', message: `no route ${path}` }, { status: 404 })
    },
  })
  return { port: server.port as number, stop: () => server.stop(true) }
}
