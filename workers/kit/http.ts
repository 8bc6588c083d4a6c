import type { Metrics } from './metrics.ts'

export interface WorkerHttpOptions {
  port: number
  hostname: string
  service: string
  metrics: Metrics
  /** Problems that make the worker unready; empty when ready. */
  ready(): Promise<string[]>
}

/** `/health` (the process runs), `/ready` (database and broker reachable) and `/metrics`; nothing else. */
export function serveWorkerHttp(o: WorkerHttpOptions) {
  const server = Bun.serve({
    port: o.port,
    hostname: o.hostname,
    async fetch(req) {
      const path = new URL(req.url).pathname
      if (path === '/health') return Response.json({ status: 'ok', service: `${o.service}-worker` })
      if (path === '/ready') {
        const problems = await o.ready()
        return Response.json({ status: problems.length ? 'unavailable' : 'ready', problems }, { status: problems.length ? 503 : 200 })
      }
      if (path === '/metrics') return new Response(await o.metrics.render(), { headers: { 'content-type': 'text/plain; version=0.0.4' } })
      return Response.json({ error: 'NOT_FOUND', message: `no route ${path}` }, { status: 404 })
    },
  })
  return { port: server.port as number, stop: () => server.stop(true) }
}
