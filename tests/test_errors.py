"""Unit tests of customer_thermometer/errors.py: what each error carries for the code that
catches it."""

from customer_thermometer.errors import (
    ApiError,
    AuthenticationError,
    CustomerThermometerError,
    LongWaitError,
    RefusedError,
    TransientError,
    UnexpectedBodyError,
    UnreachableError,
)


class TestErrors:
    def test_an_unreachable_host_carries_why_where_and_what(self):
        error = UnreachableError("getComments failed", "refused", "ct.example.test")
        assert str(error) == "getComments failed"
        assert (error.reason, error.host, error.what) == (
            "refused",
            "ct.example.test",
            "could not be reached at",
        )
        stalled = UnreachableError("m", "r", "h", what="did not finish its answers at")
        assert stalled.what == "did not finish its answers at"

    def test_a_transient_failure_carries_its_wait_and_whether_the_host_was_reached(self):
        error = TransientError("HTTP 503")
        assert str(error) == "HTTP 503"
        assert error.retry_after is None and error.unreachable is None
        error = TransientError("HTTP 429", retry_after=30.0, unreachable="refused")
        assert (error.retry_after, error.unreachable) == (30.0, "refused")

    def test_an_unexpected_body_carries_its_start_and_what_it_is(self):
        error = UnexpectedBodyError("<html>")
        assert (error.snippet, error.kind) == ("<html>", "a body that is not XML")
        assert str(error) == "unexpected body"
        assert UnexpectedBodyError("x", kind="an XML error document").kind == (
            "an XML error document"
        )

    def test_a_long_wait_carries_its_seconds_and_fails_the_table_like_any_api_error(self):
        error = LongWaitError("getComments answered HTTP 429", 3600.0)
        assert str(error) == "getComments answered HTTP 429" and error.seconds == 3600.0
        assert isinstance(error, ApiError)

    def test_a_refusal_fails_the_table_like_any_api_error(self):
        assert isinstance(RefusedError("refused"), ApiError)

    def test_every_error_about_the_api_shares_one_base(self):
        for error in (AuthenticationError("k"), TransientError("t"), UnexpectedBodyError("s")):
            assert isinstance(error, CustomerThermometerError)
