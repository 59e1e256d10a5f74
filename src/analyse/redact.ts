/**
 * Removes personal data from a fan's text before it leaves the machine for a model: e-mail addresses, phone
 * numbers and booking references (PNRs). Pure; applied when LLM_REDACT is on (the default).
 *
 * Booking references are the hard part: a PNR is six letters and digits, which is also the shape of many
 * ordinary tokens. A bare token is only taken for a PNR when it is written in capitals and mixes letters and
 * digits, and is not a flight number (KL1234) or an aircraft type (737MAX); after a word such as "booking",
 * "boeking", "PNR" or "reference" any 5 to 8 character code is taken.
 */

export const REDACTED = { email: '[email]', phone: '[phone]', booking: '[booking-ref]' } as const;

export interface Redaction {
  text: string;
  /** How many of each were removed, for logs and tests (never the values themselves). */
  counts: { email: number; phone: number; booking: number };
}

// The lookbehind starts a match only where a run of address characters starts: without it every position of a
// long run ("1111…", "a.b.c…") rescanned the rest of the run, quadratic on a 10,000-character post.
const EMAIL = /(?<![A-Z0-9._%+-])[A-Z0-9._%+-]+@[A-Z0-9-]+(?:\.[A-Z0-9-]+)*\.[A-Z]{2,}/gi;

// A run that starts with +, 00, ( or a digit, made of digits and the separators people type in numbers.
// Dates (8 digits) and times (colons) stay; 9 to 15 digits is a phone number in every numbering plan.
const PHONE_RUN = /(?<![\w@/.#])(?:\+|\(\+?)?\d[\d\s().-]{6,}\d(?![\w/])/g;

const BOOKING_WORDS =
  'booking|boeking|bookings?code|boekingscode|reservering(?:snummer|scode)?|reservation|confirmation|pnr|record locator|reference|referentie|ref|dossier(?:nummer)?';
// "booking ref: ABC12D", "PNR is XY7Q2P", "boekingscode nr. AB12CD", "my reference number #QWERTY"
const AFTER_WORD = new RegExp(
  `\\b(${BOOKING_WORDS})\\b((?:\\s*(?:code|number|nr\\.?|no\\.?|nummer|is|was|:|#|-)\\s*)*\\s*)([A-Z0-9]{5,8})\\b`,
  'gi',
);

const BARE_PNR = /(?<![\w@#/-])[A-Z0-9]{6}(?![\w/-])/g;
const FLIGHT_NUMBER = /^(?:[A-Z]{2}|[A-Z]\d|\d[A-Z])\d{1,4}$/;
const AIRCRAFT = /^(?:\d{3}MAX|A3\d\dNEO|\d{3}NEO|A\d{3}[A-Z]{2}|B7\d7[A-Z]{2})$/;

function isBarePnr(token: string): boolean {
  return /\d/.test(token) && /[A-Z]/.test(token) && !FLIGHT_NUMBER.test(token) && !AIRCRAFT.test(token);
}

export function redact(input: string): Redaction {
  const counts = { email: 0, phone: 0, booking: 0 };
  let text = input.replace(EMAIL, () => {
    counts.email++;
    return REDACTED.email;
  });
  text = text.replace(AFTER_WORD, (whole, word: string, gap: string, code: string) => {
    // "booking reference" / "ref number": the code must contain a digit or be in capitals, not be a plain word.
    if (!/\d/.test(code) && code !== code.toUpperCase()) return whole;
    counts.booking++;
    return `${word}${gap}${REDACTED.booking}`;
  });
  text = text.replace(PHONE_RUN, (run) => {
    const digits = run.replace(/\D/g, '').length;
    if (digits < 9 || digits > 15) return run;
    counts.phone++;
    return REDACTED.phone;
  });
  text = text.replace(BARE_PNR, (token) => {
    if (!isBarePnr(token)) return token;
    counts.booking++;
    return REDACTED.booking;
  });
  return { text, counts };
}
