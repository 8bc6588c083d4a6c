/**
 * Where a measured run's CPU went, per event: each process of the path, the
 * broker (every `beam.smp` process of this machine: other clients of the same
 * broker count too), the database (the server's own processes and its
 * sessions with the bench's database, the bench's own polling included), the
 * bench itself (the load it drives), and the rest of the machine. Interrupt
 * work (mostly the path's loopback network traffic) is charged to the process
 * it interrupted, as Linux counts it without IRQ time accounting; what
 * `ksoftirqd` does is in the rest. From the path's sum follows the most events per second
 * this machine's cores allow for that work, however it is scheduled. Read from
 * Linux's /proc; elsewhere `startCpu` gives undefined and the bench prints no
 * CPU. A process that ends during the count loses what it used.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'

/** Milliseconds of CPU per event, by part, and what follows from them. */
export interface CpuReport {
  /**
   * ms of CPU per event: the path's processes by role, `rabbitmq`,
   * `postgresql`; then `bench` (the load it drives) and `other` (the
   * rest of the machine). `rabbitmq` or `postgresql` is missing when no such
   * process is seen here (a server elsewhere, or hidden).
   */
  ms_per_event: Record<string, number>
  /** The path's processes, the broker and the database, summed: the CPU one event costs the path. */
  total_ms_per_event: number
  /** Share of the machine's cores in use during the run, by anything. */
  busy: number
  /** Share of the machine's time the host took for others (steal), when it tells. */
  stolen: number
  /** Events per second if the path had every core to itself, at that cost; missing when the broker or the database was not seen. */
  ceiling_events_per_s?: number
  cores: number
}

/** Linux's USER_HZ: /proc counts CPU time in these. */
const TICKS_PER_S = 100

/** What /proc tells of one process: CPU seconds used (all its threads), and when it started (tells a reused pid). */
interface ProcessTime {
  seconds: number
  started: string
}

function processTime(pid: number | string): ProcessTime | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields 14 (utime), 15 (stime) and 22 (starttime), counted after the name, which may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return { seconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S, started: fields[19]! }
  } catch {
    return undefined
  }
}

/** The PostgreSQL server's own processes, and its sessions with `database`; not the sessions with other databases. */
function servesDatabase(pid: string, database: string): boolean {
  const title = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim()
  // A session shows `postgres: [cluster: ]user database host(port) state`; the server's own processes their task.
  const session = /^postgres: (?:\S+: )?(\S+) (\S+) \S+\(\d+\)/.exec(title) ?? /^postgres: (?:\S+: )?(\S+) (\S+) \[local\]/.exec(title)
  return !session || session[2] === database
}

/** The broker's and the database's processes, by pid. */
function serverProcesses(database: string) {
  const rabbitmq = new Map<string, ProcessTime>()
  const postgresql = new Map<string, ProcessTime>()
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue
    try {
      const name = readFileSync(`/proc/${pid}/comm`, 'utf8').trim()
      const into = name === 'beam.smp' ? rabbitmq : name === 'postgres' && servesDatabase(pid, database) ? postgresql : undefined
      const time = into && processTime(pid)
      if (time) into.set(pid, time)
    } catch {
      // Gone meanwhile.
    }
  }
  return { rabbitmq, postgresql }
}

/** The whole machine's CPU seconds, summed over its cores: busy, stolen, all. */
function machineSeconds() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!
  const [user, nice, system, idle, iowait, irq, softirq, steal = 0] = line.trim().split(/\s+/).slice(1).map(Number) as number[]
  const busy = user! + nice! + system! + irq! + softirq!
  return { busy: busy / TICKS_PER_S, steal: steal / TICKS_PER_S, all: (busy + idle! + iowait! + steal) / TICKS_PER_S }
}

/** Seconds used since `before` by the processes now in `after`; one started meanwhile (a new pid, or a pid used again) counts from zero. */
function grown(before: Map<string, ProcessTime>, after: Map<string, ProcessTime>): number {
  let sum = 0
  for (const [pid, now] of after) {
    const then = before.get(pid)
    sum += now.seconds - (then && then.started === now.started ? then.seconds : 0)
  }
  return sum
}

const selfSeconds = () => {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1e6
}

const round = (x: number) => Number(x.toFixed(3))

/**
 * Starts counting; the function returned ends the count and reports it per
 * event. `roles` names the path's own processes (in the order they are to be
 * reported) by pid; each must still run when the count ends. `database` is
 * the one the path writes to: sessions with others are not counted.
 */
export function startCpu(roles: Record<string, number>, database: string): ((events: number) => CpuReport) | undefined {
  let machine: ReturnType<typeof machineSeconds>
  try {
    machine = machineSeconds()
  } catch {
    return undefined
  }
  const own = Object.fromEntries(Object.entries(roles).map(([role, pid]) => [role, processTime(pid)]))
  const servers = serverProcesses(database)
  const self = selfSeconds()
  return (events) => {
    const seconds: Record<string, number> = {}
    for (const [role, pid] of Object.entries(roles)) {
      const [then, now] = [own[role], processTime(pid)]
      seconds[role] = then && now && then.started === now.started ? now.seconds - then.seconds : 0
    }
    const later = serverProcesses(database)
    const now = machineSeconds()
    if (later.rabbitmq.size > 0) seconds.rabbitmq = grown(servers.rabbitmq, later.rabbitmq)
    if (later.postgresql.size > 0) seconds.postgresql = grown(servers.postgresql, later.postgresql)
    const path = Object.values(seconds).reduce((a, b) => a + b, 0)
    seconds.bench = selfSeconds() - self
    // The sessions with other databases are in here, with every other process of the machine.
    seconds.other = Math.max(0, now.busy - machine.busy - path - seconds.bench)
    const cores = availableParallelism()
    const all = now.all - machine.all
    // The ceiling from the total as reported, so that the two printed figures agree.
    const total = round((path * 1000) / events)
    const seen = later.rabbitmq.size > 0 && later.postgresql.size > 0
    return {
      ms_per_event: Object.fromEntries(Object.entries(seconds).map(([part, s]) => [part, round((s * 1000) / events)])),
      total_ms_per_event: total,
      busy: all > 0 ? round((now.busy - machine.busy) / all) : 0,
      stolen: all > 0 ? round((now.steal - machine.steal) / all) : 0,
      ...(seen ? { ceiling_events_per_s: Math.round((cores * 1000) / Math.max(total, 0.001)) } : {}),
      cores,
    }
  }
}

/** One line for people: the parts, their sum, and the ceiling that follows. */
export function describeCpu(report: CpuReport): string {
  const parts = Object.entries(report.ms_per_event)
    .map(([part, ms]) => `${part} ${ms.toFixed(3)}`)
    .join(' · ')
  const stolen = report.stolen >= 0.01 ? `, ${Math.round(report.stolen * 100)}% taken by the host` : ''
  const ceiling =
    report.ceiling_events_per_s === undefined
      ? `no ceiling: ${['rabbitmq', 'postgresql'].filter((p) => !(p in report.ms_per_event)).join(' and ')} not seen on this machine`
      : `at most ≈ ${report.ceiling_events_per_s} events/s on ${report.cores} cores`
  return `${parts} ms; the path ${report.total_ms_per_event.toFixed(3)} ms → ${ceiling} (busy ${Math.round(report.busy * 100)}%${stolen})`
}
