"""Run at start-up by Python where PYTHONPATH names this folder: when DEFERRING_PARSER names a
mode of `deferring_parser.py`, every XMLParser made after it defers its events, as Expat 2.6
does. Where DEFERRING_PARSER_RECORD names a file, a line is added to it per parser made, so a
test can see the double was in use."""

import os
import xml.etree.ElementTree as ElementTree

from deferring_parser import deferring

MODE = os.environ.get("DEFERRING_PARSER")
RECORD = os.environ.get("DEFERRING_PARSER_RECORD")

if MODE:
    Deferring = deferring(MODE)

    class RecordedParser(Deferring):
        """The deferring parser, each one noted in the record file."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            if RECORD:
                with open(RECORD, "a", encoding="utf-8") as record:
                    record.write(f"{MODE}\n")

    ElementTree.XMLParser = RecordedParser
