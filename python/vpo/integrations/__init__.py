"""Radarr, Sonarr, Plex, Jellyfin and Emby (issue 25, Part I). PLACEHOLDER on branch
i25-hook: the names the hook uses, no behaviour; Part I's package replaces it."""
