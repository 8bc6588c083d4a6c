import type { Subprocess } from 'bun'
import { forEachLine } from '../scripts/lines.ts'

export interface Child {
  proc: Subprocess<'ignore', 'pipe', 'pipe'>
  /** Every line the process printed so far (stdout and stderr). */
  lines: string[]
  /** Resolves with the first line matching `pattern` (already printed or still to come). */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>
  exited: Promise<number>
}

const ROOT = new URL('..', import.meta.url).pathname

/** Starts an entry file as a real child process with the given environment. */
export function spawnEntry(entry: string, env: Record<string, string>): Child {
  const proc = Bun.spawn(['bun', entry], { cwd: ROOT, env: { ...process.env, ...env }, stdout: 'pipe', stderr: 'pipe', stdin: 'ignore' })
  const lines: string[] = []
  const waiters: { pattern: RegExp; resolve: (l: string) => void }[] = []
  const onLine = (line: string) => {
    lines.push(line)
    if (process.env.TEST_CHILD_LOGS) console.error(`[${entry}] ${line}`)
    for (const w of waiters.filter((w) => w.pattern.test(line))) {
      waiters.splice(waiters.indexOf(w), 1)
      w.resolve(line)
    }
  }
  void forEachLine(proc.stdout, onLine)
  void forEachLine(proc.stderr, onLine)
  return {
    proc,
    lines,
    exited: proc.exited,
    waitForLine(pattern, timeoutMs = 15_000) {
      const seen = lines.find((l) => pattern.test(l))
      if (seen) return Promise.resolve(seen)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${entry}: no line matching ${pattern} within ${timeoutMs} ms:\n${lines.slice(-20).join('\n')}`)), timeoutMs)
        waiters.push({ pattern, resolve: (l) => (clearTimeout(timer), resolve(l)) })
      })
    },
  }
}
