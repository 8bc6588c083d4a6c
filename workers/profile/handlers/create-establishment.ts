import { establishments } from '../../../schemas/db/profile.ts'
import type { CommandHandlers } from '../../kit/define.ts'
import { establishmentView } from '../../../schemas/views/profile.ts'

/** Creates an establishment and emits `establishment.created`. */
export const createEstablishment: NonNullable<CommandHandlers['profile.create_establishment']> = async ({ payload }, { tx, emit }) => {
  const [row] = await tx
    .insert(establishments)
    .values({ id: crypto.randomUUID(), name: payload.name, city: payload.city, address: payload.address ?? null, phone: payload.phone ?? null })
    .returning()
  const establishment = row!
  emit('establishment.created', { establishment_id: establishment.id, name: establishment.name, city: establishment.city })
  return { status: 201, body: establishmentView(establishment) }
}
