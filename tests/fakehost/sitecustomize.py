"""Makes a Python process believe it runs on another machine, for the several-hosts tests
(tests/integration/test_skewed_clocks.py). Put this folder first on a process's PYTHONPATH
and set:

- FAKE_HOST_NAME: what os.uname().nodename says (VPO's host name: vpo/host.py);
- FAKE_HOST_CLOCK_SHIFT: seconds added to this process's wall clock: time.time(),
  time.time_ns(), datetime.now() and datetime.utcnow() (VPO's "now": vpo/timeutil.py).

The process's children that are Python (probe workers) inherit it; ffmpeg does not read
the clock for anything VPO records. Monotonic clocks are left alone (they measure spans).
"""

from __future__ import annotations

import datetime as _datetime
import os
import time
from typing import Any

_name = os.environ.get("FAKE_HOST_NAME")
_shift = float(os.environ.get("FAKE_HOST_CLOCK_SHIFT") or 0)

if _name:
    _real_uname = os.uname

    def _uname() -> Any:
        real = _real_uname()
        return os.uname_result((real.sysname, _name, real.release, real.version, real.machine))

    os.uname = _uname

if _shift:
    _real_time, _real_time_ns = time.time, time.time_ns
    time.time = lambda: _real_time() + _shift
    time.time_ns = lambda: _real_time_ns() + int(_shift * 1_000_000_000)
    _Real = _datetime.datetime

    class _AnyDatetime(type):
        # datetimes made elsewhere (C code, pickles) are the real class: still datetimes
        def __instancecheck__(cls, obj: object) -> bool:
            return isinstance(obj, _Real)

        def __subclasscheck__(cls, sub: type) -> bool:
            return issubclass(sub, _Real)

    class _ShiftedDatetime(_Real, metaclass=_AnyDatetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return _Real.now(tz) + _datetime.timedelta(seconds=_shift)

        @classmethod
        def utcnow(cls) -> Any:
            return _Real.now(_datetime.timezone.utc).replace(tzinfo=None) + _datetime.timedelta(
                seconds=_shift
            )

        @classmethod
        def today(cls) -> Any:
            return cls.now()

    _ShiftedDatetime.__name__ = _ShiftedDatetime.__qualname__ = "datetime"
    _ShiftedDatetime.__module__ = "datetime"
    _datetime.datetime = _ShiftedDatetime  # type: ignore[misc]
