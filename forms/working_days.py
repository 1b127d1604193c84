"""China working days (工作日): what "served within three working days" counts.

A working day is Monday to Friday, except the public holidays the office lists, plus the make-up
Saturdays and Sundays (调休) it lists: the State Council publishes both each year, so they are
configuration (`[calendar] holidays = [...]`, `workdays = [...]` in config.toml, read by
`inspect_app/config.py` `work_calendar`), not code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

SERVICE_WORKING_DAYS = 3  # a document is to be served within three working days of its issue
MAX_STEPS = 400  # more than a year without three working days is a broken calendar, not a wait


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)  # 调休: weekend days worked

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, start: date, count: int) -> date:
        """The `count`-th working day after `start` (start itself not counted). A calendar listing
        more than a year of holidays in a row stops the count there rather than hang."""
        day, found = start, 0
        for _ in range(MAX_STEPS):
            if found >= count:
                break
            day += timedelta(days=1)
            if self.is_working_day(day):
                found += 1
        return day


def service_deadline(issued_on: date, calendar: WorkCalendar) -> date:
    """The last day a document issued on `issued_on` may be served without being late."""
    return calendar.add_working_days(issued_on, SERVICE_WORKING_DAYS)
