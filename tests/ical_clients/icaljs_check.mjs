// Read an iCalendar file with Mozilla's ical.js (Thunderbird's parser) and print what it saw.
//
//   node icaljs_check.mjs FEED.ics
//   -> {"events": [{"uid", "summary", "start", "end", "all_day", "alarms"}], "errors": [...]}
//
// Timed starts/ends are UTC instants ("2026-07-12T07:15:00Z"), converted through the file's own
// VTIMEZONEs (registered with ICAL.TimezoneService first); all-day values are "YYYY-MM-DD";
// `alarms` lists each VALARM's relative TRIGGER in seconds (null when absolute).
// `errors` lists what a consumer would get wrong: a TZID with no VTIMEZONE in the file (ical.js
// then reads the time as floating), an event without UID or DTSTART, a date that is out of
// range. Any exception exits non-zero with the message on stderr.
// Install: npm ci --prefix tests/ical_clients
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

function valid(time) {
  return (
    Number.isFinite(time.year) &&
    time.month >= 1 && time.month <= 12 &&
    time.day >= 1 && time.day <= ICAL.Time.daysInMonth(time.month, time.year) &&
    time.hour >= 0 && time.hour <= 23 && time.minute >= 0 && time.minute <= 59 &&
    time.second >= 0 && time.second <= 60
  );
}

function instant(time, what, uid, errors) {
  if (time === null || time === undefined) {
    errors.push(`${uid}: no ${what}`);
    return null;
  }
  if (!valid(time)) {
    errors.push(`${uid}: ${what} out of range: ${time.toString()}`);
  }
  if (time.isDate) {
    return time.toString(); // YYYY-MM-DD
  }
  const zone = time.zone;
  if (zone === ICAL.Timezone.localTimezone || zone === undefined || zone === null) {
    const tzid = time.timezone;
    errors.push(
      tzid ? `${uid}: ${what} TZID=${tzid} has no VTIMEZONE in the file`
           : `${uid}: ${what} is a floating time`,
    );
    return time.toString(); // floating: no conversion possible
  }
  const utc = time.convertToZone(ICAL.Timezone.utcTimezone);
  return utc.toString(); // ends in Z
}

function main() {
  const path = process.argv[2];
  if (!path) {
    throw new Error("usage: node icaljs_check.mjs FEED.ics");
  }
  const text = readFileSync(path, "utf8");
  const jcal = ICAL.parse(text);
  if (!Array.isArray(jcal) || typeof jcal[0] !== "string") {
    throw new Error("the file is not exactly one top-level component");
  }
  const calendar = new ICAL.Component(jcal);
  if (calendar.name !== "vcalendar") {
    throw new Error(`top-level component is ${calendar.name}, not vcalendar`);
  }
  const errors = [];
  for (const vtimezone of calendar.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.register(vtimezone);
  }
  const events = [];
  for (const component of calendar.getAllSubcomponents("vevent")) {
    const event = new ICAL.Event(component);
    const uid = event.uid ?? null;
    if (!uid) {
      errors.push(`event "${event.summary}" has no UID`);
    }
    const label = uid ?? "(no UID)";
    const start = instant(event.startDate, "DTSTART", label, errors);
    const end = instant(event.endDate, "DTEND", label, errors);
    events.push({
      uid,
      summary: event.summary ?? null,
      start,
      end,
      all_day: Boolean(event.startDate?.isDate),
      alarms: component
        .getAllSubcomponents("valarm")
        .map((alarm) => alarm.getFirstPropertyValue("trigger"))
        .map((trigger) => (trigger instanceof ICAL.Duration ? trigger.toSeconds() : null)),
    });
  }
  process.stdout.write(JSON.stringify({ events, errors }) + "\n");
}

try {
  main();
} catch (error) {
  process.stderr.write(`ical.js: ${error?.message ?? error}\n`);
  process.exit(2);
}
