/**
 * Runs the whole platform on this machine: migrates the database, then starts
 * every API, worker and the gateway that exist as child processes with their
 * logs prefixed, and stops them all on Ctrl-C (SIGINT) or SIGTERM.
 *
 *   bun run dev
 */
import type { Subprocess } from 'bun'
import { noArgumentsOrExit } from './cli.ts'
import { forEachLine } from './lines.ts'
import { childEnvironment, existingProcesses, type ProcessSpec } from './processes.ts'

const USAGE = 'usage: bun run dev   (migrates the database, then runs every API, worker and the gateway until Ctrl-C; settings from the environment, see README.md)'
noArgumentsOrExit(process.argv.slice(2), USAGE)

const COLORS = [31, 32, 33, 34, 35, 36, 91, 92, 93, 94, 95]
const root = new URL('..', import.meta.url).pathname
const useColor = process.stdout.isTTY

function prefix(name: string, i: number): string {
  const label = name.padEnd(14)
  return useColor ? `\x1b[${COLORS[i % COLORS.length]}m${label}\x1b[0m│ ` : `${label}| `
}

function start(spec: ProcessSpec, i: number): Subprocess<'ignore', 'pipe', 'pipe'> {
  const child = Bun.spawn(['bun', spec.entry], {
    cwd: root,
    env: childEnvironment(spec, process.env),
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const label = prefix(spec.name, i)
  void forEachLine(child.stdout, (line) => process.stdout.write(`${label}${line}\n`))
  void forEachLine(child.stderr, (line) => process.stderr.write(`${label}${line}\n`))
  return child
}

const migrate = Bun.spawnSync(['bun', 'scripts/migrate.ts'], { cwd: root, stdout: 'inherit', stderr: 'inherit', env: process.env })
if (migrate.exitCode !== 0) {
  console.error('migration failed: is PostgreSQL running? (DATABASE_URL)')
  process.exit(1)
}

const specs = existingProcesses()
const children = specs.map(start)
console.log(`started ${specs.map((s) => `${s.name}:${s.port}`).join(', ')}`)

let stopping = false
children.forEach((child, i) =>
  child.exited.then((code) => {
    if (!stopping) console.error(`${specs[i]!.name} exited with ${code}; the others keep running (Ctrl-C stops all)`)
  }),
)

async function stopAll(signal: string) {
  if (stopping) return
  stopping = true
  console.log(`${signal}: stopping ${children.length} processes`)
  for (const c of children) c.kill('SIGTERM')
  const killer = setTimeout(() => children.forEach((c) => c.kill('SIGKILL')), 10_000)
  const codes = await Promise.all(children.map((c) => c.exited))
  clearTimeout(killer)
  process.exit(codes.every((c) => c === 0 || c === 143) ? 0 : 1)
}
process.on('SIGINT', () => void stopAll('SIGINT'))
process.on('SIGTERM', () => void stopAll('SIGTERM'))
