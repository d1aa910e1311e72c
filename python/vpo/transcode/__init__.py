"""Transcoding: queue one job per file, and a worker that works the queue."""
