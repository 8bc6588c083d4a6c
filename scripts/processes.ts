import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { apiPort, GATEWAY_PORT, SERVICES, workerPort } from '../core/index.ts'

export interface ProcessSpec {
  name: string
  entry: string
  port: number
}

const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** Every process of the platform with its port (DESIGN.md §9), whether or not it exists yet. */
export const PROCESSES: readonly ProcessSpec[] = [
  { name: 'gateway', entry: 'api/gateway/main.ts', port: GATEWAY_PORT },
  ...SERVICES.map((s) => ({ name: `${s}-api`, entry: `api/${s}/main.ts`, port: apiPort(s) })),
  ...SERVICES.map((s) => ({ name: `${s}-worker`, entry: `workers/${s}/main.ts`, port: workerPort(s) })),
]

/** The processes whose entry file exists in this checkout. */
export function existingProcesses(root = ROOT): ProcessSpec[] {
  return PROCESSES.filter((p) => existsSync(`${root}/${p.entry}`))
}

/**
 * The environment `bun run dev` gives a child: its own, and the child's PORT. Nothing else, no secret
 * of its own above all: without JWT_SECRET the APIs read the platform's, which migrate made.
 */
export function childEnvironment(spec: ProcessSpec, env: Record<string, string | undefined>): Record<string, string | undefined> {
  return { ...env, PORT: String(spec.port) }
}
