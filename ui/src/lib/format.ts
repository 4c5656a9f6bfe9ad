// Display helpers: pure functions, tested in format.test.ts.

/** Up to two initials for an avatar: "Maya Lopez" -> "ML", "weekend trip" -> "WT". */
export function initials(name: string): string {
  // Words count from their first character after punctuation and math signs:
  // "Weekend <trip>" -> "WT"; an emoji counts.
  const words = name
    .trim()
    .split(/\s+/u)
    .map((w) => w.replace(/^[\p{P}\p{Sm}]+/u, ''))
    .filter(Boolean);
  const letters = words.slice(0, 2).map((w) => Array.from(w)[0] ?? '');
  const joined = letters.join('').toLocaleUpperCase();
  return joined || '?';
}

/**
 * One `Intl.DateTimeFormat` per locale and options, made once. `toLocale*String`
 * with options builds a new formatter, with its ICU pattern data, on every call:
 * a chat's times and day labels made hundreds, and the web process kept tens of
 * MiB of them long after.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

export function dateFormat(locale: string | undefined, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale ?? ''}|${JSON.stringify(options)}`;
  let format = formatters.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, options);
    formatters.set(key, format);
  }
  return format;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * Short relative time for the inbox, like messengers show it: "now", "5m", "3h",
 * a weekday within the last week, else a short date.
 */
export function relativeTime(iso: string, now: Date = new Date(), locale?: string): string {
  const then = new Date(iso);
  const diff = now.getTime() - then.getTime();
  if (Number.isNaN(diff)) return '';
  if (diff < MINUTE) return 'now';
  if (diff < HOUR) return `${Math.floor(diff / MINUTE)}m`;
  if (diff < DAY && now.getDate() === then.getDate()) return `${Math.floor(diff / HOUR)}h`;
  if (diff < 7 * DAY) return dateFormat(locale, { weekday: 'short' }).format(then);
  const sameYear = now.getFullYear() === then.getFullYear();
  return dateFormat(locale, sameYear ? { month: 'short', day: 'numeric' } : { year: 'numeric', month: 'short', day: 'numeric' }).format(then);
}

/**
 * When a signed-in device was last heard from. The relay notes it at most
 * hourly, so nothing finer than the hour is claimed.
 */
export function lastSeen(iso: string, now: Date = new Date(), locale?: string): string {
  const diff = now.getTime() - new Date(iso).getTime();
  if (Number.isNaN(diff)) return '';
  if (diff < HOUR) return 'Active in the last hour';
  if (diff < DAY) {
    const hours = Math.floor(diff / HOUR);
    return `Last seen ${hours} hour${hours === 1 ? '' : 's'} ago`;
  }
  return `Last seen ${dateFormat(locale, { year: 'numeric', month: 'short', day: 'numeric' }).format(new Date(iso))}`;
}

/** Clock time of a message bubble, e.g. "14:05". */
export function clockTime(iso: string, locale?: string): string {
  return dateFormat(locale, { hour: '2-digit', minute: '2-digit' }).format(new Date(iso));
}

/** A moment in a list of events: its clock time today, with its date on
 * another day ("Dec 3, 14:05"), and the year in another year. */
export function dayAndTime(iso: string, now: Date = new Date(), locale?: string): string {
  const then = new Date(iso);
  if (Number.isNaN(then.getTime())) return '';
  if (then.toDateString() === now.toDateString()) return clockTime(iso, locale);
  const options: Intl.DateTimeFormatOptions =
    then.getFullYear() === now.getFullYear()
      ? { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }
      : { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' };
  return dateFormat(locale, options).format(then);
}

/** Unread badge text: counts above 99 show as "99+". */
export function badge(count: number): string {
  return count > 99 ? '99+' : String(count);
}

/** Starts a message with a capital letter, for errors written in Rust's lower case. */
export function sentence(text: string): string {
  const first = Array.from(text)[0];
  return first === undefined ? text : first.toLocaleUpperCase() + text.slice(first.length);
}
