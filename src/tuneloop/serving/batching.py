"""Requests that arrive together share one forward pass.

Each request puts its query on an asyncio queue and waits; one worker takes the first query,
collects whatever else arrives within `window_s` (a few milliseconds, at most `max_batch`), runs the
batch in a thread (the event loop keeps accepting requests meanwhile) and hands each request its
own answer. One batch runs at a time, so the model is never used by two threads at once. A batch
that fails fails each of its requests with the same error, and the worker goes on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Generic, TypeVar

Q = TypeVar("Q")
A = TypeVar("A")
WINDOW_S = 0.005
MAX_BATCH = 32


class Batcher(Generic[Q, A]):
    def __init__(
        self, run: Callable[[list[Q]], list[A]], window_s: float = WINDOW_S, max_batch: int = MAX_BATCH
    ) -> None:
        self.run, self.window_s, self.max_batch = run, window_s, max_batch
        self.queue: asyncio.Queue[tuple[Q, asyncio.Future[tuple[A, int]]]] = asyncio.Queue()
        self.worker: asyncio.Task[None] | None = None

    async def submit(self, query: Q) -> tuple[A, int]:
        """The query's answer and the size of the batch it was answered in."""
        if self.worker is None:
            self.worker = asyncio.get_running_loop().create_task(self._work())
        future: asyncio.Future[tuple[A, int]] = asyncio.get_running_loop().create_future()
        await self.queue.put((query, future))
        return await future

    async def stop(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            await asyncio.gather(self.worker, return_exceptions=True)

    async def _work(self) -> None:
        while True:
            batch = await self._collect()
            try:
                answers = await asyncio.to_thread(self.run, [query for query, _ in batch])
            except Exception as exc:  # every waiting request gets the error, the worker lives on
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), answer in zip(batch, answers, strict=True):
                if not future.done():  # its client may have gone
                    future.set_result((answer, len(batch)))

    async def _collect(self) -> list[tuple[Q, asyncio.Future[tuple[A, int]]]]:
        batch = [await self.queue.get()]
        deadline = asyncio.get_running_loop().time() + self.window_s
        while len(batch) < self.max_batch:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                break
            try:
                batch.append(await asyncio.wait_for(self.queue.get(), left))
            except TimeoutError:
                break
        return batch
