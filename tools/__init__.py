"""The project's tools: what the Makefile runs besides the connector and its tests."""
