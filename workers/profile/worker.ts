import { profileRuntime } from '../../schemas/db/profile.ts'
import { defineWorker } from '../kit/define.ts'
import { createStudent } from './handlers/create-student.ts'

export const profileWorker = defineWorker({
  service: 'profile',
  tables: profileRuntime,
  commands: { 'profile.create_student': createStudent },
})
