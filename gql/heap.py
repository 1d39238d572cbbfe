"""The garbage collector of a serving process: what startup built is set aside for good,
and young objects are collected less often.

Why, measured in the rush (benchmarks/rush.py: 600 schools logging in, saving and
submitting, on PostgreSQL): CPython's collector took 0.88 s of the event loop's 9 s. Four of
its collections were full ones of about 130 ms each, every request in flight paused while
they walked the ~130,000 objects startup made (the schema, the ORM's models, the modules),
which live as long as the process and are never garbage. The young generation, collected
every 700 net allocations by default, was collected several times a request. Frozen after
startup and collected every 10,000: 0.36 s, no full collection in the rush.

What it costs: an object alive at startup that later becomes part of garbage cycles is not
reclaimed (startup builds what it keeps; `gc.collect()` first takes what it dropped), and
up to 10,000 young objects wait for their collection a little longer. Plain reference
counting frees everything else at once, as before.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000


def settle() -> None:
    """Once the app is built and its database ready: what exists now lives on."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
