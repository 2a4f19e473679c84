"""The one form of a periodic sweep (STYLE.md §5).

A sweep service selects the rows that are due, handles a bounded batch and returns a `Sweep`: how
many rows it handled, whether more may remain and, for a sweep whose rows can stay due (skipped,
failing, or merely revisited such as open orders), the cursor `after` the next batch starts from.
Its task calls it and, through `sweep_continue`, re-enqueues itself while more remain. The cursor
makes every chain finish: a row that stays due is not picked again by the same chain, only by the
next beat tick. Sweeps that delete their rows need no cursor. "Done" is decided by the database,
never by counting ticks.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Sweep:
    handled: int
    more: bool = False
    after: Any = None

    @classmethod
    def of(cls, cursors: Sequence, batch: int) -> "Sweep":
        """A batch that handled the rows at `cursors`, in order: a full batch may have more after the last."""
        more = bool(cursors) and len(cursors) >= batch
        return cls(handled=len(cursors), more=more, after=cursors[-1] if more else None)


def sweep_continue(task, sweep: Sweep, **kwargs) -> Sweep:
    """From a sweep task: enqueue the task again for the next batch while rows may remain."""
    if sweep.more:
        if sweep.after is not None:
            kwargs["after"] = sweep.after
        task.delay(**kwargs)
    return sweep
