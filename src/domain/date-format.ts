/**
 * One Intl.DateTimeFormat per locale, time zone and options, kept: building one costs tens of microseconds and
 * native memory, and the stream asks for the same few (the local day of every post) over and over.
 */
const formats = new Map<string, Intl.DateTimeFormat>();

export function dateFormat(locale: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale}\u0000${JSON.stringify(options)}`;
  let format = formats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, options);
    formats.set(key, format);
  }
  return format;
}
