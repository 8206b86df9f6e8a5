"""Keep the garbage collector off what lives for the whole session.

CPython's collector walks every tracked object in its oldest generation on each full
collection. After start-up (Textual, its CSS, our modules) and after a conversation is
opened (a 1,000-turn file is hundreds of thousands of dicts and strings), that is a lot to
walk, and it is walked again and again while frames are drawn: opening a 1,000-turn
conversation spent 0.5 s of its first frame in the collector. ``gc.freeze()`` moves what
is alive now into a generation the collector skips. Objects without cycles (all of a loaded
conversation) are still freed by reference counting when dropped. What is frozen and later
dropped inside a cycle (a widget of the first screen that is removed) is not collected:
that is bounded by what exists a second after start-up, and is paid once.
"""

from __future__ import annotations

import gc
import importlib
from collections.abc import Callable

# What the first request needs and start-up does not load (pydantic's models, the HTTP
# client, the reply's view with Textual's Markdown): ~0.3 s of imports the first send
# paid on the UI thread.
FIRST_SEND = (
    "tui.app.widgets.choice",
    "tui.api.client",
    "tui.api.accumulate",
    "tui.api.responses",
    "tui.api.schema",
    "tui.api.request_parts",
)


def settle() -> None:
    """What is alive now lives long: the collector stops walking it."""
    gc.freeze()


def warm_up(*then: Callable[[], object]) -> None:
    """Load what the first send needs, run ``then`` (the client's TLS context), then
    settle (run in a thread once the first screen is up: the UI thread goes on, and the
    first send does not wait on imports)."""
    for name in FIRST_SEND:
        importlib.import_module(name)
    for step in then:
        step()
    settle()
