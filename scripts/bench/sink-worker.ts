/**
 * The second worker of `bench pipeline`, as the benchmark describes it: it
 * consumes `student.created` (as the eval service, whose queue is bound to
 * `student.*`) and writes one row per event, through the kit's inbox, and
 * emits nothing.
 */
import { sql } from 'drizzle-orm'
import { openDatabase } from '../../core/index.ts'
import { evalRuntime } from '../../schemas/db/eval.ts'
import { defineWorker } from '../../workers/kit/define.ts'
import { runWorkerMain } from '../../workers/kit/main.ts'

export const SINK_TABLE = 'eval.bench_sink'

const sinkWorker = defineWorker({
  service: 'eval',
  tables: evalRuntime,
  events: {
    // The events that arrived together, one statement for all.
    'student.created': {
      async batch(events, { tx }) {
        await tx.execute(sql`insert into eval.bench_sink (student_id) select unnest(${sql.param(events.map(({ event }) => event.payload.student_id))}::uuid[])`)
      },
    },
  },
})

if (import.meta.main) {
  const db = openDatabase(process.env.DATABASE_URL!, { max: 1 })
  await db.execute(sql`create table if not exists eval.bench_sink (student_id uuid primary key)`)
  await db.$client.end()
  await runWorkerMain(sinkWorker)
}
