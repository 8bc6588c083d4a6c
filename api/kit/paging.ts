import { t } from 'elysia'

/*
 * Strings with patterns rather than t.Numeric: Elysia reports a coerced
 * number's range error without its path, and a 422 must name `/query/page`.
 */

/** `?page=1&per_page=20`: whole numbers, per_page at most 100. */
export const PageQuery = t.Object({
  page: t.Optional(t.String({ pattern: '^[1-9][0-9]{0,8}$', description: 'page number, from 1', default: '1' })),
  per_page: t.Optional(t.String({ pattern: '^([1-9]|[1-9][0-9]|100)$', description: 'items per page, 1 to 100', default: '20' })),
})

export interface PageRequest {
  /** @default 1 */
  page?: string | number
  /** @default 20 */
  per_page?: string | number
}

export interface Page<T> {
  items: T[]
  page: number
  per_page: number
  total: number
}

/** Reads one page with `rows(limit, offset)` and the total with `total()`, both at once. */
export async function readPage<T>(request: PageRequest, rows: (limit: number, offset: number) => Promise<T[]>, total: () => Promise<number>): Promise<Page<T>> {
  const page = Number(request.page ?? 1)
  const perPage = Number(request.per_page ?? 20)
  const [items, count] = await Promise.all([rows(perPage, (page - 1) * perPage), total()])
  return { items, page, per_page: perPage, total: count }
}
