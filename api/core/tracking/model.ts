import { t } from 'elysia'

export const TrackingParams = t.Object({ student_id: t.String({ format: 'uuid' }) })
