"""Answers kept by what they are made from, a bounded number of them.

The pages that are drawn the same way many times a minute (the admin's change list, its
filters, its side bar) keep what they wrote, keyed by everything it was written from. The
keys are few in practice (a language, a URL conf, a filter's state), but nothing bounds what a
request can ask for, so each store holds at most ``size`` answers: when it is full it lets
them all go and starts again, which costs one rewrite of each answer still in use and never
a stale one (an answer is only ever looked up by its whole key).

Each process its own; a dict's ``get`` and item assignment are atomic under the GIL, so two
threads can at worst make the same answer twice.
"""

from collections.abc import Callable, Hashable

_MISSING = object()


class Kept[V]:
    """At most ``size`` answers, by key. ``kept.get(key, make)``: the kept answer, or
    ``make()``'s, kept."""

    __slots__ = ("_answers", "size")

    def __init__(self, size: int):
        if size < 1:
            raise ValueError(f"A store of kept answers needs room for one; size={size}.")
        self.size = size
        self._answers: dict[Hashable, V] = {}

    def get(self, key: Hashable, make: Callable[[], V]) -> V:
        answer = self._answers.get(key, _MISSING)
        if answer is _MISSING:
            answers = self._answers
            if len(answers) >= self.size:
                answers.clear()
            answer = answers[key] = make()
        return answer

    def peek(self, key: Hashable) -> V | None:
        """The kept answer, or None: nothing is made."""
        return self._answers.get(key)

    def clear(self) -> None:
        self._answers.clear()

    def __len__(self) -> int:
        return len(self._answers)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._answers
