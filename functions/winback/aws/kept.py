"""What a Lambda container keeps between calls, for a while.

Campaigns and the catalogue are kept a minute: a merchant's change reaches every flow
within it, and a busy shop's steps do not each read the same items again. The
connectors' secrets are kept five minutes: a rotation is picked up within them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterable

A_MINUTE = 60.0


class Kept[K: Hashable, V]:
    """Values by key, each read again once it is older than `seconds`."""

    def __init__(self, seconds: float = A_MINUTE) -> None:
        self.seconds = seconds
        self._kept: dict[K, tuple[float, V]] = {}

    def get(self, key: K, read: Callable[[], V]) -> V:
        """The value kept for `key`, from `read()` if there is none or it is too old."""
        found = self._kept.get(key)
        if found is None or time.monotonic() - found[0] > self.seconds:
            found = self._kept[key] = (time.monotonic(), read())
        return found[1]

    def missing(self, keys: Iterable[K]) -> list[K]:
        """The keys among `keys` to read again (none kept, or too old), each once, in order:
        for a store that reads several in one call, then hands each to `keep`."""
        now = time.monotonic()
        return [k for k in dict.fromkeys(keys) if (f := self._kept.get(k)) is None or now - f[0] > self.seconds]

    def keep(self, key: K, value: V) -> None:
        self._kept[key] = (time.monotonic(), value)

    def kept(self, key: K) -> V:
        """The value kept for `key` (after `get` or `keep`)."""
        return self._kept[key][1]

    def clear(self) -> None:
        """Forget everything: the next read of each key goes to the store."""
        self._kept.clear()
