"""The one convention for results: a frozen dataclass with ``to_dict()``.

:class:`Record` is the mixin the result classes share: ``to_dict()`` gives
the plain dict the function returned before (its fields in order, nested
records turned into dicts too, so every JSON file written from it stays
byte-identical), and for one release the dict-style reading (``r["key"]``,
``"key" in r``, ``r.get``, ``r.keys()``, ``r.items()``, iteration, ``**r``
and comparison with a dict) keeps working with a :class:`DeprecationWarning`
naming the attribute.

This module imports only the standard library, so every layer may use it.
"""

from __future__ import annotations

import dataclasses
import warnings

__all__ = ["Record", "plain"]


def plain(value):
    """``value`` with every :class:`Record` inside it (in lists, tuples and
    dict values) replaced by its ``to_dict()``; other values as they are."""
    if isinstance(value, Record):
        return value.to_dict()
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(plain(v) for v in value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


class Record:
    """Mixin of the frozen result dataclasses: ``to_dict()`` and, for one
    release, deprecated dict-style reading.

    A subclass is a ``@dataclasses.dataclass(frozen=True, eq=False)``; it may
    override :meth:`_absent` to name fields the old dict did not have in this
    case (left out of ``to_dict()``, and not readable by key), and set
    ``_reader`` to the name its warnings give the value (``"result"``:
    ``use result.test``; empty by default: ``use .test``).
    """

    __slots__ = ()
    _reader = ""

    def _absent(self) -> frozenset:
        """Fields left out of :meth:`to_dict` for this value (none by default)."""
        return frozenset()

    def _keys(self) -> list:
        skip = self._absent()
        return [f.name for f in dataclasses.fields(self) if f.name not in skip]

    def to_dict(self) -> dict:
        """The plain dict (the fields in order; nested results as dicts)."""
        return {k: plain(getattr(self, k)) for k in self._keys()}

    # -- deprecated dict-style reading (one release) --------------------------------
    def _warn(self, what: str, stacklevel: int = 3) -> None:
        name = type(self).__name__
        warnings.warn(f"{what} on a {name} is deprecated: {name} is a frozen dataclass, "
                      "read its attributes (or .to_dict() for the plain dict)",
                      DeprecationWarning, stacklevel=stacklevel)

    def __getitem__(self, key):
        """Deprecated: ``r[key]`` is ``r.<key>`` (one release)."""
        if isinstance(key, str) and key in self._keys():
            value = getattr(self, key)  # the object itself (``r[k] is r.k``) ...
            if isinstance(value, Record):  # ... but a nested result as the dict it was
                value = value.to_dict()
        elif isinstance(key, str) and key in (d := self.to_dict()):  # a flattened key
            value = d[key]
        else:
            raise KeyError(key)
        name = type(self).__name__
        r = self._reader
        warnings.warn(f"result[{key!r}] is deprecated: {name} is a frozen dataclass, use "
                      f"{r}.{key} (or {r}.to_dict() for the plain dict)", DeprecationWarning,
                      stacklevel=2)
        return value

    def __contains__(self, key) -> bool:
        """Deprecated: ``key in r`` (one release)."""
        self._warn(f"{key!r} in result")
        return key in self._keys() or key in self.to_dict()

    def get(self, key, default=None):
        """Deprecated: ``r.get(key)`` (one release)."""
        self._warn(f"result.get({key!r})")
        return self.to_dict().get(key, default)

    def keys(self):
        """Deprecated: ``r.keys()`` (one release)."""
        self._warn("result.keys()")
        return self.to_dict().keys()

    def values(self):
        """Deprecated: ``r.values()`` (one release)."""
        self._warn("result.values()")
        return self.to_dict().values()

    def items(self):
        """Deprecated: ``r.items()`` (one release)."""
        self._warn("result.items()")
        return self.to_dict().items()

    def __iter__(self):
        """Deprecated: iterating over the keys (one release)."""
        self._warn("iterating")
        return iter(self.to_dict())

    def __len__(self) -> int:
        """Deprecated: the number of keys (one release)."""
        self._warn("len()")
        return len(self.to_dict())

    def __bool__(self) -> bool:
        """A result is true (as the non-empty dict it replaces)."""
        return True

    def __eq__(self, other):
        """Equal results; a plain dict compares with :meth:`to_dict`
        (deprecated, one release)."""
        if type(other) is type(self):
            return self.to_dict() == other.to_dict()
        if isinstance(other, dict):
            name = type(self).__name__
            warnings.warn(f"comparing a {name} with a dict is deprecated: {name} is a frozen "
                          f"dataclass, compare {self._reader or 'result'}.to_dict()",
                          DeprecationWarning, stacklevel=2)
            return self.to_dict() == other
        return NotImplemented

    __hash__ = None  # results hold lists and dicts
