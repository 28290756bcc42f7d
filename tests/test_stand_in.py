"""Tests of the stand-in's admin operations (tools/fake_api.py): a response deleted, its comment
hidden or removed, or it moved to another day, between syncs, in-process and over HTTP, each
checked by what the list and count answers and truth() show afterwards."""

import xml.etree.ElementTree as ElementTree
from datetime import timedelta

import pytest
import requests

from tools.fake_api import FakeCustomerThermometer, main

HTTP_TIMEOUT_SECONDS = 10
EVERY_DAY = {"fromDate": "2000-01-01", "toDate": "2999-12-31"}
# The HTTP method of each operation, and the answers an admin request may get.
HTTP_METHODS = {
    "delete_response": "deleteResponse",
    "hide_comment": "hideComment",
    "remove_comment": "removeComment",
    "move_response": "moveResponse",
}
DONE = "1"
INVALID_ID = "Invalid response ID"
INVALID_DAYS = "Invalid days"
UNKNOWN_ID = 7  # no response of the stand-in has an id this low


def account(**options):
    """Return a small stand-in account: 60 responses over 10 days (options add to them)."""
    return FakeCustomerThermometer(responses=60, days=10, seed=3, **options)


def fetch(api, method, **params):
    """Send one GET for a method with the account's key (and params); return the response."""
    query = {"apiKey": api.api_key, "getMethod": method, **params}
    return requests.get(api.base_url, params=query, timeout=HTTP_TIMEOUT_SECONDS)


def listed(api, method, day=None):
    """Return the records a list method answers (response_id -> field -> text), of one day or
    of every day."""
    days = {"fromDate": day.isoformat(), "toDate": day.isoformat()} if day else EVERY_DAY
    answer = fetch(api, method, limit="10000", **days)
    assert answer.status_code == 200
    if not answer.content:
        return {}  # an empty range: an empty body
    records = {}
    for element in ElementTree.fromstring(answer.content):
        record = {child.tag: child.text for child in element}
        records[int(record["response_id"])] = record
    return records


def count_on(api, day):
    """Return getNumResponsesValue's count of one day."""
    answer = fetch(api, "getNumResponsesValue", fromDate=day.isoformat(), toDate=day.isoformat())
    return int(answer.text)


def ids(rows):
    """Return the response ids of truth() rows."""
    return {row["response_id"] for row in rows}


def by_method(api, operation, response_id, *arguments):
    """Do an operation in-process; return what it returns."""
    return getattr(api, operation)(response_id, *arguments)


def by_http(api, operation, response_id, *arguments):
    """Do an operation by its GET, which must answer `1` as plain text; return the response."""
    params = {"responseID": str(response_id)}
    if arguments:
        params["days"] = str(arguments[0])
    answer = fetch(api, HTTP_METHODS[operation], **params)
    assert (answer.status_code, answer.text) == (200, DONE)
    assert answer.headers["Content-Type"] == "text/plain"
    return answer


WAYS = pytest.mark.parametrize("way", [by_method, by_http], ids=["in_process", "over_http"])


def commented(api, hidden=False):
    """Return the blast_result truth row of a response with a comment (hidden or not) that is
    not the only one of its day."""
    rows = api.truth("blast_result")
    days = [row["date_submitted"].date() for row in rows]
    return next(
        row
        for row in rows
        if row["comment"]
        and row["comment_hidden"] == hidden
        and days.count(row["date_submitted"].date()) > 1
    )


@WAYS
def test_a_deleted_response_leaves_both_lists_its_days_count_and_the_truth(way):
    """The response leaves getBlastResults and getComments (of its day and of every day),
    getNumResponsesValue counts one fewer on its day, and neither table's truth holds it."""
    with account() as api:
        row = commented(api)
        response_id, day = row["response_id"], row["date_submitted"].date()
        before = count_on(api, day)
        others = len(api.truth("blast_result")) - 1
        for method in ("getBlastResults", "getComments"):
            assert response_id in listed(api, method, day)
        returned = way(api, "delete_response", response_id)
        for method in ("getBlastResults", "getComments"):
            assert response_id not in listed(api, method, day)
            assert response_id not in listed(api, method)
        assert count_on(api, day) == before - 1
        assert response_id not in ids(api.truth("blast_result"))
        assert response_id not in ids(api.truth("comment"))
        assert len(api.truth("blast_result")) == others  # no other response went
        assert [response["response_id"] for response in api.deleted] == [response_id]
    if way is by_method:
        assert returned["response_id"] == response_id


@WAYS
def test_a_hidden_comment_is_still_listed_by_both_with_comment_hidden_1(way):
    """Its blast result record shows comment_hidden 1 and is otherwise the same; getComments
    still lists it with its comment; the truth holds it hidden."""
    with account() as api:
        row = commented(api, hidden=False)
        response_id, day = row["response_id"], row["date_submitted"].date()
        before = listed(api, "getBlastResults", day)[response_id]
        assert before["comment_hidden"] == "0"
        returned = way(api, "hide_comment", response_id)
        after = listed(api, "getBlastResults", day)[response_id]
        assert after == {**before, "comment_hidden": "1"}
        assert listed(api, "getComments", day)[response_id]["comment"] == row["comment"]
        (truth_row,) = [r for r in api.truth("blast_result") if r["response_id"] == response_id]
        assert truth_row == {**row, "comment_hidden": True}
        assert response_id in ids(api.truth("comment"))
    if way is by_method:
        assert returned["comment_hidden"] is True


@WAYS
def test_a_removed_comment_leaves_getcomments_but_its_blast_result_is_listed_without(way):
    """getComments (of its day and of every day) and the comment truth leave it out; its blast
    result record is still listed, with an empty comment and the rest as before."""
    with account() as api:
        row = commented(api)
        response_id, day = row["response_id"], row["date_submitted"].date()
        before = listed(api, "getBlastResults", day)[response_id]
        assert response_id in listed(api, "getComments", day)
        returned = way(api, "remove_comment", response_id)
        assert response_id not in listed(api, "getComments", day)
        assert response_id not in listed(api, "getComments")
        assert listed(api, "getBlastResults", day)[response_id] == {**before, "comment": None}
        assert response_id not in ids(api.truth("comment"))
        (truth_row,) = [r for r in api.truth("blast_result") if r["response_id"] == response_id]
        assert truth_row == {**row, "comment": None}
    if way is by_method:
        assert returned["comment"] is None


@WAYS
@pytest.mark.parametrize("days", [-3, 2])
def test_a_moved_response_is_listed_on_its_new_day_not_its_old(way, days):
    """Date filters and counts select it on its new day only, at the same time of day, and
    every day's list stays newest first; the truth holds its new dates."""
    with account() as api:
        row = commented(api)
        response_id, old = row["response_id"], row["date_submitted"]
        new = old + timedelta(days=days)
        counts = {old.date(): count_on(api, old.date()), new.date(): count_on(api, new.date())}
        returned = way(api, "move_response", response_id, days)
        for method in ("getBlastResults", "getComments"):
            assert response_id not in listed(api, method, old.date())
            record = listed(api, method, new.date())[response_id]
            assert record["response_date"] == new.strftime("%Y-%m-%d %H:%M:%S")
        assert count_on(api, old.date()) == counts[old.date()] - 1
        assert count_on(api, new.date()) == counts[new.date()] + 1
        every = [record["response_date"] for record in listed(api, "getBlastResults").values()]
        assert every == sorted(every, reverse=True)
        (truth_row,) = [r for r in api.truth("blast_result") if r["response_id"] == response_id]
        assert (truth_row["date_submitted"], truth_row["response_date"]) == (new, new)
    if way is by_method:
        assert returned["date_submitted"] == new


def test_an_unknown_id_is_a_key_error_naming_it_and_changes_nothing():
    """Every operation refuses an id the account never held, or one deleted, by a KeyError
    whose message names it."""
    api = account()
    deleted = api.delete_response(api.truth("blast_result")[0]["response_id"])["response_id"]
    truth = api.truth("blast_result")
    for response_id in (UNKNOWN_ID, deleted):
        for operation, arguments in [
            ("delete_response", ()),
            ("hide_comment", ()),
            ("remove_comment", ()),
            ("move_response", (1,)),
        ]:
            with pytest.raises(KeyError, match=str(response_id)):
                getattr(api, operation)(response_id, *arguments)
    assert api.truth("blast_result") == truth


def test_an_unknown_or_unreadable_id_answers_invalid_response_id_over_http():
    """An id that is not the account's, not a number or not given answers `Invalid response ID`
    (HTTP 200); days that are not a number `Invalid days`; a wrong key `Invalid API Key`; and
    nothing changes."""
    with account() as api:
        response_id = api.truth("blast_result")[0]["response_id"]
        truth = api.truth("blast_result")
        for method in HTTP_METHODS.values():
            for params in ({"responseID": str(UNKNOWN_ID)}, {"responseID": "abc"}, {}):
                answer = fetch(api, method, days="1", **params)
                assert (answer.status_code, answer.text) == (200, INVALID_ID)
        answer = fetch(api, "moveResponse", responseID=str(response_id), days="two")
        assert (answer.status_code, answer.text) == (200, INVALID_DAYS)
        query = {"apiKey": "wrong", "getMethod": "deleteResponse", "responseID": response_id}
        answer = requests.get(api.base_url, params=query, timeout=HTTP_TIMEOUT_SECONDS)
        assert answer.text == "Invalid API Key"
        assert api.truth("blast_result") == truth


def test_admin_requests_are_neither_faulted_nor_take_a_fault_from_the_others():
    """At a fault rate of 1 an admin request is still done, and a fault queued for the next
    request is left for the next list request."""
    with account(fault_rate=1.0) as api:
        response_id = api.truth("blast_result")[0]["response_id"]
        api.next_faults.append("500")
        by_http(api, "delete_response", response_id)
        assert response_id not in ids(api.truth("blast_result"))
        assert fetch(api, "getBlastResults").status_code == 500


def test_the_operations_leave_the_data_set_drawing_as_without_them():
    """Responses added after the operations are those added to an account without them (the
    data set's random source is not drawn from)."""
    changed, same = account(), account()
    first, second = (row["response_id"] for row in changed.truth("blast_result")[:2])
    changed.hide_comment(first)
    changed.remove_comment(first)
    changed.move_response(second, -1)
    changed.delete_response(second)
    added = changed.add_responses(5, days_ago=(0, 1))
    assert [response["_xml"] for response in added] == [
        response["_xml"] for response in same.add_responses(5, days_ago=(0, 1))
    ]


def test_the_help_shows_every_admin_method_with_an_example(capsys):
    """`--help` names each HTTP method with an example URL carrying apiKey=KEY."""
    with pytest.raises(SystemExit):
        main(["--help"])
    shown = capsys.readouterr().out
    for method in HTTP_METHODS.values():
        assert f"apiKey=KEY&getMethod={method}&responseID=" in shown
    assert "Invalid response ID" in shown
