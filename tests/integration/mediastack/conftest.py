"""The integration fixtures (`vpo`, `vpo_home`, `library`, ...) for the media-stack suite too."""

from integration.conftest import library, vpo, vpo_env, vpo_home  # noqa: F401  (fixtures, re-exported)
