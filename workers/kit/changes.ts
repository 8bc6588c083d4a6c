/** The fields a PATCH may change: API name → row property. */
export type Editable<R> = Record<string, keyof R>

/**
 * What a partial update changes on `row`: the properties to set and the API
 * names of the fields whose value differs. Fields not in `editable` and
 * fields equal to the current value are left out.
 */
export function changes<R extends object>(row: R, fields: Record<string, unknown>, editable: Editable<R>): { set: Partial<R>; names: string[] } {
  const set: Partial<R> = {}
  const names: string[] = []
  for (const [name, key] of Object.entries(editable)) {
    const value = fields[name]
    if (value === undefined || value === row[key]) continue
    set[key] = value as R[keyof R]
    names.push(name)
  }
  return { set, names }
}
