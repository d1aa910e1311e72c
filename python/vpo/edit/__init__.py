"""Carrying out a plan safely, for apply, transcode and undo alike: the per-file lock, the
tools run on a copy or under a journal, verification before anything takes the file's
place, the swap, kept originals, the recovery of killed runs and undo's primitives. The
decisions (what to change) are the callers'; this package only does, and never leaves a
file half changed."""
