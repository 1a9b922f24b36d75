"""VTIMEZONE components in RRULE style (RFC 5545 §3.6.5), computed from the IANA database.

icalendar's own generator writes comma-separated RDATE lists that Mozilla's ical.js reads only
the first value of (a 09:15 Europe/Berlin start came out an hour early), so observances are
written with a yearly RRULE when the zone's rule is regular, else one observance per onset.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True, slots=True)
class Onset:
    """A change of UTC offset: when (local wall time, old offset), and from/to which offset."""

    local: datetime
    offset_from: timedelta
    offset_to: timedelta
    daylight: bool
    name: str

    def rule_key(self) -> tuple[object, ...]:
        month_days = calendar.monthrange(self.local.year, self.local.month)[1]
        nth = -1 if self.local.day + 7 > month_days else (self.local.day - 1) // 7 + 1
        return (
            self.daylight,
            self.offset_from,
            self.offset_to,
            self.local.month,
            nth,
            self.local.weekday(),
            self.local.time(),
            self.name,
        )


def _offset(zone: ZoneInfo, instant: datetime) -> timedelta:
    offset = instant.astimezone(zone).utcoffset()
    assert offset is not None
    return offset


def onsets(zone: ZoneInfo, first: date, last: date) -> list[Onset]:
    """Every offset change between two dates (found day by day, then to the minute)."""
    result = []
    day = datetime(first.year, first.month, first.day, tzinfo=UTC)
    end = datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1)
    previous = _offset(zone, day)
    while day < end:
        following = day + timedelta(days=1)
        offset = _offset(zone, following)
        if offset != previous:
            low, high = day, following
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                if _offset(zone, middle) == previous:
                    low = middle
                else:
                    high = middle
            instant = high.replace(second=0, microsecond=0)
            local = (instant + previous).replace(tzinfo=None)
            after = instant.astimezone(zone)
            dst = after.dst()
            result.append(Onset(local, previous, offset, bool(dst), after.tzname() or ""))
            previous = offset
        day = following
    return result


def _observance(
    onset: Onset, rrule: dict[str, object] | None
) -> TimezoneStandard | TimezoneDaylight:
    component = TimezoneDaylight() if onset.daylight else TimezoneStandard()
    component.add("dtstart", onset.local)
    component.add("tzoffsetfrom", onset.offset_from)
    component.add("tzoffsetto", onset.offset_to)
    if onset.name:
        component.add("tzname", onset.name)
    if rrule:
        component.add("rrule", rrule)
    return component


def vtimezone(name: str, first: date, last: date) -> Timezone:
    """The VTIMEZONE for zone `name`, valid for events between `first` and `last`."""
    zone = ZoneInfo(name)
    timezone = Timezone()
    timezone.add("tzid", name)
    found = onsets(zone, date(first.year - 1, 1, 1), date(last.year + 1, 12, 31))
    if not found:
        midnight = datetime(first.year - 1, 1, 1, tzinfo=UTC)
        offset = _offset(zone, midnight)
        name_now = midnight.astimezone(zone).tzname() or ""
        timezone.add_component(
            _observance(Onset(datetime(1970, 1, 1), offset, offset, False, name_now), None)
        )
        return timezone
    groups: dict[tuple[object, ...], list[Onset]] = {}
    for onset in found:
        groups.setdefault(onset.rule_key(), []).append(onset)
    by_kind: dict[bool, list[tuple[object, ...]]] = {}
    for key in groups:
        by_kind.setdefault(bool(key[0]), []).append(key)
    for keys in by_kind.values():
        if len(keys) == 1 and len(groups[keys[0]]) > 1:
            first_onset = groups[keys[0]][0]
            _, _, _, month, nth, weekday, _, _ = keys[0]
            rule = {"freq": "yearly", "bymonth": month, "byday": f"{nth}{_WEEKDAYS[int(weekday)]}"}  # type: ignore[call-overload]
            timezone.add_component(_observance(first_onset, rule))
        else:
            for key in keys:
                for onset in groups[key]:
                    timezone.add_component(_observance(onset, None))
    return timezone
