"""Unit tests of customer_thermometer/context.py: what one sync sets up, here the HTTP libraries'
loggers, which never print the key."""

import connector
from customer_thermometer.context import LIBRARY_LOGGERS, SyncContext
from tests.conftest import API_KEY, BASE_URL, configuration
from tests.support import (
    assert_no_piece_in_any_case,
)


class TestNoPathForTheKey:
    def test_the_http_libraries_log_no_key_whatever_handler_prints_them(self):
        import io
        import logging

        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        logging.getLogger().addHandler(handler)
        try:
            context = SyncContext(connector.validate_configuration(configuration()), {})
            url = f"{BASE_URL}?getMethod=getComments&apiKey={API_KEY}"
            try:
                raise ValueError(f"bad header in {url}")
            except ValueError:
                logging.getLogger("urllib3.connectionpool").warning(
                    "Failed to parse headers (url=%s): %s", url, "x", exc_info=True
                )
            context.close()
        finally:
            logging.getLogger().removeHandler(handler)
        logged = stream.getvalue()
        assert "Failed to parse headers (url=" in logged and "bad header in" in logged
        assert_no_piece_in_any_case(API_KEY, [logged])
        for name in LIBRARY_LOGGERS:  # closed: the sync's filter is gone with it
            assert context.log_filter not in logging.getLogger(name).filters
