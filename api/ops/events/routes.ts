import type { Database } from '../../../core/index.ts'
import type { ServiceApi } from '../../kit/service-api.ts'
import { Page } from '../../kit/openapi.ts'
import { AuditView, EventParams, events, EventSearch } from './model.ts'
import { getEvent, searchEvents } from './read.ts'

/** `/events`: the audit trail, every event that went through the events exchange, searched (admins). */
export const eventRoutes = (app: ServiceApi<'ops'>, db: Database) =>
  app
    .get('/events', ({ query }) => searchEvents(db, query), {
      auth: ['admin'],
      query: EventSearch,
      answers: events.read(Page(AuditView)),
      detail: { summary: 'Audited events, newest first, paged: by type, producer, an id anywhere in the payload, correlation id and time received' },
    })
    .get('/events/:id', ({ params }) => getEvent(db, params.id), {
      auth: ['admin'],
      params: EventParams,
      answers: events.read(AuditView),
      detail: { summary: 'One audited event, by its event id' },
    })
