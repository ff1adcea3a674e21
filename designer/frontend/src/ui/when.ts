/**
 * One way to write a moment everywhere in the designer, whatever the browser's locale: a date as
 * 2026-11-30 14:05 and a time of day as 14:05:09 (the server's messages use the same 24-hour
 * clock), in the viewer's time zone.
 */
const pad = (n: number) => String(n).padStart(2, '0')

const toDate = (value: string | number | Date | null | undefined): Date | null => {
  if (value === null || value === undefined || value === '') return null
  const d = value instanceof Date ? value : new Date(value)
  return Number.isNaN(d.getTime()) ? null : d
}

export function formatWhen(value: string | number | Date | null | undefined): string {
  const d = toDate(value)
  if (!d) return typeof value === 'string' ? value : ''
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`
}

export function formatTime(value: string | number | Date | null | undefined): string {
  const d = toDate(value)
  if (!d) return typeof value === 'string' ? value : ''
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
}
