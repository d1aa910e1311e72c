"""The media stack VPO talks to (SPEC section 18): Radarr, Sonarr, Plex, Jellyfin, Emby.

One client per service over httpx (arr.py for Radarr and Sonarr, plex.py, mediabrowser.py
for Jellyfin and Emby), the shared request rules (http.py: timeout, retries, errors), and
the uses: refresh.py (after VPO changed files), languages.py (what Radarr and Sonarr know),
checks.py (`vpo doctor`). Nothing here raises for a service's failure to its callers
outside the package: they get warning lines or failed checks.
"""
