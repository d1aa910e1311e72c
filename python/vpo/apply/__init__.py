"""`vpo apply`, the use case: the catalogued files under the PATHs, each planned by the
policy (policy/, pure), the plans carried out one file at a time (edit/), the results
recorded in the catalogue and on one `apply` job."""
