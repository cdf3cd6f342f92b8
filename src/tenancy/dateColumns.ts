// Business dates (YYYY-MM-DD) and DATE columns, which the driver reads and writes as midnight UTC. One place for
// the conversion, so a date never shifts by a time zone on its way in or out.

/** The business date a DATE column holds. */
export function businessDateOf(column: Date): string {
  return column.toISOString().slice(0, 10);
}

/** A business date as a DATE column takes it. */
export function dateColumn(date: string): Date {
  return new Date(`${date}T00:00:00Z`);
}
