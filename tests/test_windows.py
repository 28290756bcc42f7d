"""Unit tests of customer_thermometer/windows.py: window requests and the count witness that proves
windows without reading them again."""

from datetime import timedelta

import pytest

from tests.conftest import API_KEY, TODAY
from tests.support import UPPER, capped_account, keys, run, truth_keys


class TestRequests:
    def test_dated_requests_send_to_date_and_limit_never_end_date(self, captured, api):
        run()
        for method in ["getComments", "getBlastResults", "getNPSValue"]:
            first = api.sent(method)[0]
            assert first["fromDate"] == "1970-01-01"
            assert first["toDate"] == UPPER
            for sent in api.sent(method):
                assert "endDate" not in sent
                assert sent["apiKey"] == API_KEY
        for method in ["getComments", "getBlastResults"]:
            assert {sent["limit"] for sent in api.sent(method)} == {"10000"}


class TestCountWitness:
    @pytest.fixture
    def counted(self, api):
        """Make the stand-in cap its answers at 20 records, counting as told."""

        def make(counts):
            api.fake = capped_account(counts=counts)
            return api.fake

        return make

    @pytest.mark.parametrize("counts", ["exact", "answered", "capped", "with_deleted"])
    def test_every_row_lands_whatever_the_count_counts(self, captured, api, counted, counts):
        fake = counted(counts)
        run()
        assert sorted(keys(captured.rows("blast_result"))) == truth_keys(fake)
        unproven = [m for m in captured.messages("warning") if "may be missing" in m]
        if counts == "with_deleted":
            # Its count held more than an answer smaller than the largest, and the windows
            # replacing it found no more: later windows proven by size alone are named.
            assert unproven and all("a count in this sync held more" in m for m in unproven)
        elif counts == "answered":
            # No count checks blast_result: what that leaves unproven is said.
            (caveat,) = unproven  # comment has the tally of what blast_result read
            assert caveat.startswith("blast_result: no count could check getBlastResults")
        else:
            assert unproven == []

    def test_a_count_proves_windows_without_reading_them_again(self, captured, api, counted):
        counted("exact")
        run()
        with_count = len(api.sent("getBlastResults"))
        api.queries.clear()
        counted("exact").overrides["getNumResponsesValue"] = b"n/a"
        run()
        assert with_count < len(api.sent("getBlastResults"))

    def test_a_count_below_a_list_is_not_used_and_said_once(self, captured, api, counted):
        counted("answered")
        run()
        said = [m for m in captured.messages("info") if "not used as a witness" in m]
        assert len([m for m in said if m.startswith("blast_result")]) == 1
        assert "which listed" in said[-1]

    def test_comments_have_no_count(self, captured, api, counted):
        counted("exact")
        run()
        dated = [q for q in api.sent("getNumResponsesValue") if q["fromDate"] != "1970-01-01"]
        assert not [q for q in dated if q in api.sent("getComments")]
        assert len(dated) < len(api.sent("getBlastResults"))

    def test_a_cap_that_drops_between_syncs_loses_no_new_response(self, captured, api, counted):
        fake = counted("exact")
        fake.cap = None
        run()
        state = captured.checkpoints[-1]
        fake.cap = 20  # below the new responses' 60, above any day and temperature's
        fake.add_responses(60, days_ago=(0, 1))
        captured.upserts.clear()
        run(state=state)
        recent = [k for k in truth_keys(fake) if k[3].date() >= TODAY - timedelta(days=2)]
        assert set(recent) <= set(keys(captured.rows("blast_result")))
