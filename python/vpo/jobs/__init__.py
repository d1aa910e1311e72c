"""Job history: every scan, apply and transcode is recorded here."""
