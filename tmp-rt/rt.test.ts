import { test } from 'bun:test'
import { profileApi } from '../api/profile/app.ts'
import { profileWorker } from '../workers/profile/worker.ts'
import { bearer, post, startService, tokenFor } from '../test/service.ts'

test('round trip', async () => {
  const s = await startService({ label: 'rt', api: profileApi, worker: profileWorker })
  const token = await tokenFor('admin')
  const times: number[] = []
  for (let i = 0; i < 60; i++) {
    const t0 = performance.now()
    const res = await post(s.url('/profile/api/students'), { email: `rt${i}-${crypto.randomUUID().slice(0, 6)}@example.org` }, bearer(token))
    if (res.status !== 201) console.log(res.status, await res.text())
    else await res.arrayBuffer()
    times.push(performance.now() - t0)
  }
  times.sort((a, b) => a - b)
  console.log('RT p50', times[30]!.toFixed(2), 'p90', times[54]!.toFixed(2))
  await s.close()
}, 60_000)
