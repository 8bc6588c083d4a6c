import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { lookup } from 'node:dns/promises'
import type { AsyncMessage } from 'rabbitmq-client'
import { Names, silentLogger } from '../../core/index.ts'
import { connect, testNamespace } from '../../test/broker.ts'
import { serveWorkerHttp } from '../../workers/kit/http.ts'
import { Metrics } from '../../workers/kit/metrics.ts'
import { consumedMetrics } from '../../workers/kit/outcomes.ts'
import { queuesOf } from './queues/depths.ts'
import type { Lookup } from './queues/replicas.ts'
import { createQueueSampler } from './queues/sampler.ts'

/**
 * The rates of a service whose worker runs as several replicas behind one
 * host name: each replica is the kit's own HTTP port and metrics, on its own
 * loopback address (127.0.0.1, 127.0.0.2…) and the same port.
 */
const namespace = testNamespace('ops_replicas')
const names = new Names(namespace)
const connection = connect('ops-replicas-test')
const queues = queuesOf(namespace, ['core'], [])

beforeAll(async () => {
  for (const q of queues) await connection.queueDeclare({ queue: q.name, durable: true, arguments: { 'x-queue-type': 'quorum' } })
})
afterAll(async () => {
  for (const q of queues) await connection.queueDelete({ queue: q.name })
  await connection.close()
})

/** A core worker replica's HTTP port at `address`; `took` counts messages off its events queue as its consumer would. */
function replica(address: string, port: number) {
  const metrics = new Metrics()
  const http = serveWorkerHttp({ port, hostname: address, service: 'core', metrics, ready: async () => [], applied: async () => [] })
  const outcome = consumedMetrics(metrics)('events')
  const message = { type: 'student.created' } as AsyncMessage
  return {
    port: http.port,
    stop: http.stop,
    took(n: number, dead = 0) {
      for (let i = 0; i < n; i++) outcome('handled', message, 5)
      for (let i = 0; i < dead; i++) outcome('dead', message, 5)
    },
  }
}

/** A sampler of core's queues reading `url`, its host resolved by `lookupHost`; each `sample()` is one sample, a second after the one before. */
function samplerOf(url: string, lookupHost?: Lookup) {
  let at = Date.parse('2026-12-02T10:00:00Z')
  const sampler = createQueueSampler({ broker: () => connection, queues, workers: { core: url }, ...(lookupHost ? { lookup: lookupHost } : {}), timeoutMs: 500, everyMs: 3_600_000, log: silentLogger, now: () => at })
  return {
    async sample() {
      at += 1_000
      sampler.start()
      await sampler.stop()
    },
    async now() {
      const { queues: states, workers } = await sampler.queues()
      const of = (name: string) => states.find((q) => q.name === name)!
      return { events: of(names.eventQueue('core')), dead: of(names.deadQueue('core')), workers: workers.get('core') }
    },
  }
}

describe('the rates of a worker scaled to several replicas behind one name', () => {
  test("every address the name resolves to is read and their counters summed; one that does not answer is left out; a replica that restarted counts what it took since, never less than nothing", async () => {
    const a = replica('127.0.0.1', 0)
    let b = replica('127.0.0.2', a.port)
    // Three addresses behind the name; nothing listens at the third.
    const sampler = samplerOf(`http://core-worker:${a.port}`, async (host) => (host === 'core-worker' ? ['127.0.0.1', '127.0.0.2', '127.0.0.3'] : []))
    try {
      await sampler.sample()
      expect((await sampler.now()).workers).toEqual({ addresses: 3, answered: 2 })

      // A dead-lettered message was taken off the queue too: 3 + 5 + 1.
      a.took(3)
      b.took(5, 1)
      await sampler.sample()
      let now = await sampler.now()
      expect(now.events).toMatchObject({ depth: 0, rate_in: 9, rate_out: 9 })
      expect(now.dead).toMatchObject({ rate_in: 1 })

      // b restarts between two samples and takes 2: its counter went down from 6 to 2.
      b.stop()
      b = replica('127.0.0.2', a.port)
      a.took(1)
      b.took(2)
      await sampler.sample()
      now = await sampler.now()
      expect(now.events).toMatchObject({ rate_in: 3, rate_out: 3 })
      expect(now.dead).toMatchObject({ rate_in: 0, rate_out: 0 })

      // Restarted again, it takes 4: more than its counter said before (2), and all of it since it started.
      b.stop()
      b = replica('127.0.0.2', a.port)
      b.took(4)
      await sampler.sample()
      expect((await sampler.now()).events).toMatchObject({ rate_in: 4, rate_out: 4 })
      // Every sample's rates, never below zero.
      expect((await sampler.now()).events.history.map((p) => p.rate_out)).toEqual([null, 9, 3, 4])

      // One replica away: the other's messages still count, and the answer says one of three answered.
      b.stop()
      a.took(2)
      await sampler.sample()
      now = await sampler.now()
      expect(now.workers).toEqual({ addresses: 3, answered: 1 })
      expect(now.events).toMatchObject({ rate_out: 2 })
    } finally {
      a.stop()
      b.stop()
    }
  })

  test('a replica that answers at two addresses of the name (a worker on every interface, the name on 127.0.0.1 and ::1) is counted once', async () => {
    const both = replica('::', 0)
    const sampler = samplerOf(`http://core-worker:${both.port}`, async () => ['127.0.0.1', '::1'])
    try {
      await sampler.sample()
      both.took(6)
      await sampler.sample()
      const now = await sampler.now()
      expect(now.workers).toEqual({ addresses: 2, answered: 1 })
      expect(now.events).toMatchObject({ rate_out: 6 })
    } finally {
      both.stop()
    }
  })

  test("by default the name is resolved by this machine's resolver: `localhost` reaches the replica on 127.0.0.1", async () => {
    const local = replica('127.0.0.1', 0)
    const sampler = samplerOf(`http://localhost:${local.port}`)
    try {
      await sampler.sample()
      local.took(5)
      await sampler.sample()
      const now = await sampler.now()
      const resolved = new Set((await lookup('localhost', { all: true })).map((r) => r.address))
      expect(resolved.has('127.0.0.1')).toBe(true)
      expect(now.workers).toEqual({ addresses: resolved.size, answered: 1 })
      expect(now.events).toMatchObject({ rate_out: 5 })
    } finally {
      local.stop()
    }
  })

  test('a name that does not resolve: no address, no rates, the depths still told', async () => {
    const sampler = samplerOf('http://no-such-worker.invalid:3103')
    await sampler.sample()
    await sampler.sample()
    const now = await sampler.now()
    expect(now.workers).toEqual({ addresses: 0, answered: 0 })
    expect(now.events).toMatchObject({ depth: 0, rate_in: null, rate_out: null })
  })
})
