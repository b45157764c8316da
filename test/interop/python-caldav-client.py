"""Drives Debian's python3-caldav against a Holdfast server, step by step, and prints one
JSON object: each step's name to what it saw, or to {"error": ...} if it raised.
python-caldav.test.ts runs it with /usr/bin/python3 and asserts on the result.

Usage: /usr/bin/python3 python-caldav-client.py BASE_URL USER PASSWORD
BASE_URL is the bare server URL ("http://127.0.0.1:PORT/"): discovery starts there, as
iOS and DAVx5 do.
"""

import json
import sys
import traceback
from datetime import datetime, timezone

import caldav
from caldav.elements import dav
from caldav.lib import error

BERLIN = """BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE"""

SINGLE_EVENT = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Holdfast//python-caldav interop//EN
BEGIN:VEVENT
UID:python-single@holdfast.test
DTSTAMP:20260101T000000Z
DTSTART:20260310T100000Z
DTEND:20260310T110000Z
SUMMARY:Dentist
END:VEVENT
END:VCALENDAR
"""

# Mondays at 09:00 in Berlin, six times: 2, 9, 16, 23, 30 March and 6 April 2026.
RECURRING_EVENT = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Holdfast//python-caldav interop//EN
%s
BEGIN:VEVENT
UID:python-weekly@holdfast.test
DTSTAMP:20260101T000000Z
DTSTART;TZID=Europe/Berlin:20260302T090000
DTEND;TZID=Europe/Berlin:20260302T100000
RRULE:FREQ=WEEKLY;COUNT=6
SUMMARY:Team meeting
END:VEVENT
END:VCALENDAR
""" % BERLIN

TODO = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Holdfast//python-caldav interop//EN
BEGIN:VTODO
UID:python-todo@holdfast.test
DTSTAMP:20260101T000000Z
SUMMARY:Buy milk
STATUS:NEEDS-ACTION
END:VTODO
END:VCALENDAR
"""


def holiday(uid, date, summary):
    return """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Holdfast//python-caldav interop//EN
BEGIN:VEVENT
UID:%s
DTSTAMP:20260101T000000Z
DTSTART;VALUE=DATE:%s
SUMMARY:%s
END:VEVENT
END:VCALENDAR
""" % (uid, date, summary)


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


def instant(component, name):
    """A DATE-TIME property as a UTC ISO string (a server may expand in UTC, a client in the
    event's own zone: the instant is the same), a DATE as itself, or None."""
    if name not in component:
        return None
    value = component.decoded(name)
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    return value.isoformat()


def components(objects):
    """What a search returned: one entry per VEVENT/VTODO in each object, sorted."""
    found = []
    for obj in objects:
        for component in obj.icalendar_instance.walk():
            if component.name not in ("VEVENT", "VTODO"):
                continue
            found.append(
                {
                    "uid": str(component.get("UID")),
                    "start": instant(component, "DTSTART"),
                    "recurrenceId": instant(component, "RECURRENCE-ID"),
                    "hasRrule": "RRULE" in component,
                }
            )
    return sorted(found, key=lambda c: (c["uid"], c["start"] or ""))


def summary_of(obj):
    return str(obj.icalendar_component.get("SUMMARY"))


def main():
    base_url, user, password = sys.argv[1:4]
    results = {}
    state = {}

    def step(name):
        def run(function):
            try:
                results[name] = function()
            except Exception as exception:  # a step's failure is a result, not the end
                results[name] = {"error": "%s: %s" % (type(exception).__name__, exception), "trace": traceback.format_exc()}
            return function

        return run

    client = caldav.DAVClient(url=base_url, username=user, password=password)

    @step("discover")
    def _():
        state["principal"] = principal = client.principal()
        return {"principal": str(principal.url), "calendarHomeSet": str(principal.calendar_home_set.url)}

    @step("calendars")
    def _():
        calendars = state["principal"].calendars()
        state["calendar"] = next(c for c in calendars if str(c.url).rstrip("/").endswith("/calendar"))
        state["tasks"] = next(c for c in calendars if str(c.url).rstrip("/").endswith("/tasks"))
        return sorted(str(c.url) for c in calendars)

    @step("makeCalendar")
    def _():
        state["holidays"] = made = state["principal"].make_calendar(name="Holidays", cal_id="holidays")
        listed = sorted(str(c.url) for c in state["principal"].calendars())
        return {"url": str(made.url), "displayName": made.get_display_name(), "listed": listed}

    @step("saveEvents")
    def _():
        calendar = state["calendar"]
        state["single"] = calendar.save_event(SINGLE_EVENT)
        state["weekly"] = calendar.save_event(RECURRING_EVENT)
        return {"single": str(state["single"].url), "weekly": str(state["weekly"].url)}

    @step("searchRange")
    def _():
        # 9 to 17 March: the single event and the weekly meeting (its 9 and 16 March instances).
        found = state["calendar"].search(start=utc(2026, 3, 9), end=utc(2026, 3, 17), event=True)
        return components(found)

    @step("searchRangeLaterInstance")
    def _():
        # 1 to 7 April: only the weekly meeting's sixth and last instance falls here.
        found = state["calendar"].search(start=utc(2026, 4, 1), end=utc(2026, 4, 7), event=True)
        return components(found)

    @step("searchRangeAfterLastInstance")
    def _():
        found = state["calendar"].search(start=utc(2026, 4, 8), end=utc(2026, 5, 1), event=True)
        return components(found)

    @step("searchRangeExpanded")
    def _():
        found = state["calendar"].search(start=utc(2026, 3, 9), end=utc(2026, 3, 17), event=True, expand=True)
        return components(found)

    @step("fetchByUrl")
    def _():
        fetched = state["calendar"].event_by_url(state["single"].url)
        return {"uid": str(fetched.icalendar_component.get("UID")), "summary": summary_of(fetched), "etag": fetched.props.get(dav.GetEtag.tag)}

    @step("updateWithEtag")
    def _():
        url = state["single"].url
        etag = state["calendar"].event_by_url(url).props.get(dav.GetEtag.tag)
        headers = {"Content-Type": "text/calendar; charset=utf-8", "If-Match": etag}
        changed = SINGLE_EVENT.replace("SUMMARY:Dentist", "SUMMARY:Dentist (moved)")
        fresh = client.put(url, changed, headers)
        stale = client.put(url, SINGLE_EVENT, headers)
        reloaded = state["calendar"].event_by_url(url)
        return {
            "freshStatus": fresh.status,
            "staleStatus": stale.status,
            "summary": summary_of(reloaded),
            "etagChanged": reloaded.props.get(dav.GetEtag.tag) != etag,
        }

    @step("updateWithLibrary")
    def _():
        event = state["calendar"].event_by_url(state["weekly"].url)
        event.icalendar_component["SUMMARY"] = "Team meeting (room 2)"
        event.save()
        return {"summary": summary_of(state["calendar"].event_by_url(state["weekly"].url))}

    @step("delete")
    def _():
        url = state["single"].url
        state["calendar"].event_by_url(url).delete()
        try:
            state["calendar"].event_by_url(url)
            gone = False
        except error.NotFoundError:
            gone = True
        remaining = sorted(str(e.icalendar_component.get("UID")) for e in state["calendar"].events())
        return {"gone": gone, "remaining": remaining}

    @step("todos")
    def _():
        tasks = state["tasks"]
        todo = tasks.save_todo(TODO)
        pending_before = sorted(str(t.icalendar_component.get("UID")) for t in tasks.todos())
        todo.complete(completion_timestamp=utc(2026, 3, 1, 12))
        pending_after = sorted(str(t.icalendar_component.get("UID")) for t in tasks.todos())
        everything = tasks.todos(include_completed=True)
        completed = [str(t.icalendar_component.get("STATUS")) for t in everything]
        return {"url": str(todo.url), "pendingBefore": pending_before, "pendingAfter": pending_after, "statusesWithCompleted": completed}

    @step("syncToken")
    def _():
        holidays = state["holidays"]
        kept = holidays.save_event(holiday("python-holiday-1@holdfast.test", "20260406", "Easter Monday"))
        removed = holidays.save_event(holiday("python-holiday-2@holdfast.test", "20260501", "Labour Day"))
        collection = holidays.objects(load_objects=True)
        first_token = collection.sync_token
        holidays.save_event(holiday("python-holiday-3@holdfast.test", "20261225", "Christmas"))
        kept.icalendar_component["SUMMARY"] = "Easter Monday (bank holiday)"
        kept.save()
        removed.delete()
        delta = holidays.objects_by_sync_token(sync_token=first_token)
        updated, deleted = collection.sync()
        again_updated, again_deleted = collection.sync()
        return {
            "fullSync": sorted(str(o.url).rsplit("/", 1)[-1] for o in holidays.objects_by_sync_token(sync_token=None)),
            "tokenChanged": collection.sync_token != first_token,
            "deltaUrls": sorted(str(o.url).rsplit("/", 1)[-1] for o in delta),
            "updated": sorted(str(o.icalendar_component.get("SUMMARY")) for o in updated),
            "deleted": sorted(str(o.url).rsplit("/", 1)[-1] for o in deleted),
            "secondSync": [len(again_updated), len(again_deleted)],
        }

    print(json.dumps(results, indent=2, sort_keys=True))


main()
