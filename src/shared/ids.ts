const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Every key of the schema is a UUID: anything else is not an id (and so is simply not found). */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}
