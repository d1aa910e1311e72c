"""Read-only views of the catalogue: `vpo files` (a filtered listing) and `vpo report`
(the library at a glance, as text, JSON, CSV or an HTML page with charts)."""
