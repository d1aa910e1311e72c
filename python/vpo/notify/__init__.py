"""Notifications through Apprise: one message per command run, watch batch or hook run
(models.RunSummary says what happened; send.notify_run decides, composes and sends)."""
