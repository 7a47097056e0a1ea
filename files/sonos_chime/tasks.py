"""Requests at once: daemon threads, so a player that never answers cannot hold the process
open beyond its own timeout."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import TypeVar

T = TypeVar("T")


def spawn(function: Callable[[], T]) -> Future[T]:
    future: Future[T] = Future()

    def runner() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(function())
        except BaseException as error:  # noqa: BLE001 - handed to whoever waits
            future.set_exception(error)

    threading.Thread(target=runner, daemon=True).start()
    return future


def gather(functions: Sequence[Callable[[], T]]) -> list[T]:
    """Run functions at once; when all are done, return their results or raise the first error."""
    if len(functions) <= 1:
        return [function() for function in functions]
    futures = [spawn(function) for function in functions]
    results: list[T] = []
    first_error: BaseException | None = None
    for future in futures:
        try:
            results.append(future.result())
        except BaseException as error:  # noqa: BLE001 - re-raised below
            first_error = first_error or error
    if first_error is not None:
        raise first_error
    return results
