"""The tools a user or a maintainer runs, apart from the connector and its tests: the stand-in
API (`fake_api`), the runs of `fivetran debug` on a copy of the project (`harness`, shared with
the end-to-end tests), the demo, local accounts and `inspect`, the bench, the history table, the
mutation score, and the second run of the suite on a Python whose Expat defers."""
