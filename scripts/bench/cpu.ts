/**
 * Where a measured run's CPU went, per event: each process of the path, the
 * broker and the database (every `beam.smp` and `postgres` process of this
 * machine), the bench itself (the load it drives), and the rest of the
 * machine. From their sum follows the most events per second this machine's
 * cores allow for that work, however it is scheduled. Read from Linux's
 * /proc; elsewhere `startCpu` gives undefined and the bench prints no CPU.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'

/** Milliseconds of CPU per event, by part, and what follows from them. */
export interface CpuReport {
  /** ms of CPU per event: the path's processes by role, `rabbitmq`, `postgresql`; then `bench` (the load it drives) and `other` (the rest of the machine). */
  ms_per_event: Record<string, number>
  /** The path's processes, the broker and the database, summed: the CPU one event costs the path. */
  total_ms_per_event: number
  /** Share of the machine's cores in use during the run, by anything. */
  busy: number
  /** Share of the machine's time the host took for others (steal), when it tells. */
  stolen: number
  /** Events per second if the path had every core to itself, at that cost. */
  ceiling_events_per_s: number
  cores: number
}

/** Linux's USER_HZ: /proc counts CPU time in these. */
const TICKS_PER_S = 100

/** CPU seconds a process has used (all its threads), or undefined once it is gone. */
function processSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S
  } catch {
    return undefined
  }
}

/** CPU seconds of every process of the machine whose name is `name`, by pid. */
function processesNamed(name: string): Map<number, number> {
  const found = new Map<number, number>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== name) continue
    } catch {
      continue
    }
    const seconds = processSeconds(Number(entry))
    if (seconds !== undefined) found.set(Number(entry), seconds)
  }
  return found
}

/** The whole machine's CPU seconds, busy and stolen, summed over its cores. */
function machineSeconds(): { busy: number; steal: number; all: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number) as number[]
  const busy = user! + nice! + system! + irq! + softirq!
  return { busy: busy / TICKS_PER_S, steal: (steal ?? 0) / TICKS_PER_S, all: (busy + idle! + iowait! + (steal ?? 0)) / TICKS_PER_S }
}

/** Seconds used since `before` by the processes now in `after`; one started meanwhile counts from zero. */
function grown(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0
  for (const [pid, seconds] of after) sum += seconds - (before.get(pid) ?? 0)
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
 * reported) by pid; each must still run when the count ends.
 */
export function startCpu(roles: Record<string, number>): ((events: number) => CpuReport) | undefined {
  let machine: ReturnType<typeof machineSeconds>
  try {
    machine = machineSeconds()
  } catch {
    return undefined
  }
  const own = Object.fromEntries(Object.entries(roles).map(([role, pid]) => [role, processSeconds(pid) ?? 0]))
  const rabbitmq = processesNamed('beam.smp')
  const postgresql = processesNamed('postgres')
  const self = selfSeconds()
  return (events) => {
    const seconds: Record<string, number> = {}
    for (const [role, pid] of Object.entries(roles)) seconds[role] = (processSeconds(pid) ?? own[role]!) - own[role]!
    seconds.rabbitmq = grown(rabbitmq, processesNamed('beam.smp'))
    seconds.postgresql = grown(postgresql, processesNamed('postgres'))
    const path = Object.values(seconds).reduce((a, b) => a + b, 0)
    seconds.bench = selfSeconds() - self
    const now = machineSeconds()
    seconds.other = Math.max(0, now.busy - machine.busy - path - seconds.bench)
    const cores = availableParallelism()
    // The ceiling from the total as reported, so that the two printed figures agree.
    const total = round((path * 1000) / events)
    return {
      ms_per_event: Object.fromEntries(Object.entries(seconds).map(([part, s]) => [part, round((s * 1000) / events)])),
      total_ms_per_event: total,
      busy: round((now.busy - machine.busy) / (now.all - machine.all)),
      stolen: round((now.steal - machine.steal) / (now.all - machine.all)),
      ceiling_events_per_s: Math.round((cores * 1000) / Math.max(total, 0.001)),
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
  return `${parts} ms; the path ${report.total_ms_per_event.toFixed(3)} ms → at most ≈ ${report.ceiling_events_per_s} events/s on ${report.cores} cores (busy ${Math.round(report.busy * 100)}%${stolen})`
}
