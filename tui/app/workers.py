"""Worker failures, handled in one place: a screen's background task that fails is
reported (log and toast) and never ends the app. Its workers run with
``exit_on_error=False``; a worker cancelled on purpose ends quietly (Textual's own)."""

from __future__ import annotations

from textual.worker import Worker, WorkerState


class ReportsWorkerFailures:
    """Mixin for a Screen. Override :meth:`worker_failed` to do more than report."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.worker_failed(event.worker)

    def worker_failed(self, worker: Worker) -> None:
        self.log.error(f"worker {worker.name!r} failed: {worker.error!r}")  # type: ignore[attr-defined]
        self.notify(  # type: ignore[attr-defined]
            f"Something went wrong in the background ({worker.name or 'a task'}): "
            f"{type(worker.error).__name__}: {worker.error}",
            severity="error",
            title="Internal error",
            timeout=10,
        )
