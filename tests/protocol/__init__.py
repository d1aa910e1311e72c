"""Protocol fixtures: small local HTTP servers that answer as Radarr, Sonarr, Plex,
Jellyfin and Emby do for the requests VPO sends (each module names the documentation it
follows), reject a wrong key with 401 as the real ones do, and record every request."""
