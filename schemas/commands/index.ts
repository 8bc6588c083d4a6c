import type { TSchema } from '@sinclair/typebox'
import { CreateStudent } from './profile.ts'

export interface CommandDefinition<P extends TSchema = TSchema> {
  /** The service whose worker applies the command. */
  service: string
  payload: P
}

/** Command type (`S.verb_noun`) → definition: what each API may send to its worker. */
export const commands = {
  'profile.create_student': { service: 'profile', payload: CreateStudent },
} as const satisfies Record<string, CommandDefinition>

export type CommandType = keyof typeof commands

/** The command types each service's queue is bound to. */
export function commandBindings(): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const [type, def] of Object.entries(commands)) (out[def.service] ??= []).push(type)
  return out
}

export * from './profile.ts'
