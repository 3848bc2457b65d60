"""Pages parsed ahead of the writer, in page order: one worker process plus the writer's idle time.

The worker claims pages from the front of a window of `window` pages; the writer, whenever the
page it needs next is not ready, claims one itself (the page it needs if nobody has started it,
else the last one in the window) and parses it instead of waiting. Results come back through a
pipe the writer reads itself: with a ProcessPoolExecutor a helper thread in the writer's process
had to win the GIL from the busy writer before the worker could hand over its next result, and
the stalled worker cost a seventh of the load rate. In the worker, a sender thread writes each
page (~130 KB) to the pipe with one system call, which needs no GIL until the whole page is in:
a multiprocessing.Queue's feeder thread wrote a page's header and body separately and had to win
the GIL back from the parsing in between, while the writer, already reading, waited. Sending from
the parsing thread itself stalled the parsing instead whenever the pipe was full: during every
commit, a sixth of the worker's time at a million facts. The pipe is widened to hold several pages
and the writer takes all that came before each page.
"""

from __future__ import annotations

import fcntl
import multiprocessing
import os
import pickle
import queue
import struct
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storage.pages.format import PageFormatError
from storage.load.prepare import Prepared, prepare

class ParseWorkerError(RuntimeError):
    """The parse worker failed: a bug (with its traceback) while parsing `page`, or the process died."""

    def __init__(self, page: str | None, detail: str) -> None:
        super().__init__(f"parsing {page} failed in the worker process:\n{detail}" if page else detail)
        self.page = page
        self.detail = detail


Result = Any  # Prepared | PageFormatError | whatever `known` reports for a page it recognises

_POLL_S = 1.0  # how often a process waiting on the other checks that it is still alive
_IDLE_S = 0.002  # how often an idle worker looks whether the window has moved


class ParseAhead:
    """Iterate over the prepared pages of `files`, in order (use as a context manager)."""

    def __init__(self, files: list[Path], known: Callable[[Path], Result | None], window: int, worker: bool) -> None:
        self.files = files
        self.known = known
        self.window = window
        self.ready: dict[int, Result] = {}  # parsed or recognised here, or received from the worker
        self.process = None
        self.results: Any = None
        self.sent_all = False  # the worker's end of the pipe is closed: it exited
        if not (worker and files):
            # The writer parses everything itself: plain objects, no process or semaphore at all.
            self.claimed: Any = bytearray(len(files))
            self.limit: Any = _Value(0)  # the worker may claim pages below this
            self.stop: Any = _Value(0)
            self.lock: Any = threading.Lock()
            return
        ctx = multiprocessing.get_context("spawn")  # not fork: the caller may be a threaded asyncio process
        self.claimed = ctx.Array("b", len(files), lock=False)
        self.limit = ctx.Value("i", 0, lock=False)
        self.stop = ctx.Value("b", 0, lock=False)
        # Guards claimed, limit and stop. A plain lock taken with timeouts, never a Condition: a
        # process killed while holding it must not leave the other one waiting forever.
        self.lock = ctx.Lock()
        self.results, sender = ctx.Pipe(duplex=False)
        _widen(sender)
        args = ([str(f) for f in files], self.claimed, self.limit, self.stop, self.lock, sender)
        self.process = ctx.Process(target=_work, args=args, name="factbot-parser", daemon=True)
        self.process.start()
        sender.close()  # the worker holds the only sending end: its exit ends the pipe

    def __enter__(self) -> ParseAhead:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[Result]:
        for index in range(len(self.files)):
            self._open_window(index)
            while self._receive(block=False):  # take all that came, so the worker never waits to send
                pass
            while index not in self.ready:
                self._next_result(index)
            yield self.ready.pop(index)

    def close(self) -> None:
        """Stop the worker (also when the writer gave up half way)."""
        if self.process is None:
            return
        if self.lock.acquire(timeout=_POLL_S):  # not forever: the worker may have died holding it
            self.stop.value = 1
            self.lock.release()
        self.results.close()  # a worker waiting to send gets a broken pipe and stops
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join()
        self.process = None

    def _open_window(self, first: int) -> None:
        """Let the worker claim up to `window` pages from `first`; pages `known` recognises are not parsed."""
        end = min(first + self.window, len(self.files))
        if end <= self.limit.value:
            return
        for index in range(self.limit.value, end):
            report = self.known(self.files[index])
            if report is not None:
                self.ready[index] = report
                self.claimed[index] = 1  # not under the lock: the worker cannot see it before limit moves
        with self._holding():
            self.limit.value = end

    def _next_result(self, wanted: int) -> None:
        """Make progress towards page `wanted`: take a result, or parse a page here, or wait."""
        if self._receive(block=False):
            return
        mine = self._claim(wanted)
        if mine is not None:
            self.ready[mine] = prepare(self.files[mine])
            return
        self._receive(block=True)

    @contextmanager
    def _holding(self) -> Iterator[None]:
        while not self.lock.acquire(timeout=_POLL_S):
            self._check_worker()
        try:
            yield
        finally:
            self.lock.release()

    def _check_worker(self) -> None:
        """Raise if there is no worker left to wait for."""
        if self.process is None or not self.process.is_alive():
            raise ParseWorkerError(None, "the page parser process stopped unexpectedly")

    def _claim(self, wanted: int) -> int | None:
        """The page this thread should parse now: `wanted` if nobody started it, else the window's last."""
        with self._holding():
            for index in (wanted, *range(self.limit.value - 1, wanted, -1)):
                if not self.claimed[index]:
                    self.claimed[index] = 1
                    return index
        return None

    def _receive(self, block: bool) -> bool:
        """Take one result from the worker into `ready`; False when none came (block: none will)."""
        if self.results is None or self.sent_all:  # nothing more will arrive
            if block:
                raise ParseWorkerError(None, "the page parser process stopped unexpectedly")
            return False
        while True:
            if not self.results.poll(_POLL_S if block else 0):
                if not block:
                    return False
                self._check_worker()
                continue
            try:
                index, result = self.results.recv()
            except EOFError:  # the worker is gone, and all it sent was read
                self.sent_all = True
                return self._receive(block)
            if isinstance(result, _Failure):
                raise ParseWorkerError(str(self.files[index]), result.text)
            self.ready[index] = Prepared.unpacked(result) if isinstance(result, bytes) else result
            return True


@dataclass
class _Value:
    """Stands in for a shared multiprocessing value when there is no worker."""

    value: int


class _Failure:
    """An unexpected exception in the worker, carried as text (it may not pickle)."""

    def __init__(self, text: str) -> None:
        self.text = text


def _work(paths: list[str], claimed: Any, limit: Any, stop: Any, lock: Any, results: Any) -> None:
    """The worker process: claim the next unclaimed page in the window, parse it, hand it to the sender."""
    parent = os.getppid()
    sender = _Sender(results)
    index = -1
    while True:
        index = _claim_next(len(paths), index + 1, claimed, limit, stop, lock, parent, lambda: sender.stopped)
        if index == _DONE:  # every page is claimed: send what is left, then exit
            sender.finish()
            return
        if index == _ABANDON:  # stopped, the writer died, or nothing more can be sent
            return
        try:
            parsed = prepare(Path(paths[index]))
            # A page goes as bytes, which the writer unpacks (see Prepared.packed).
            result: bytes | PageFormatError | _Failure = parsed.packed() if isinstance(parsed, Prepared) else parsed
        except Exception:  # a bug, not a bad page: the writer re-raises it with this traceback
            result = _Failure(traceback.format_exc())
        sender.put(index, result)


class _Sender:
    """Sends the worker's results from a thread of their own, so parsing goes on while the pipe is full."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.stopped = False  # nothing more will be sent: the writer stopped reading, or sending failed
        # At most a window of pages waits here: the worker claims no page beyond it.
        self._queue: queue.SimpleQueue[tuple[int, bytes] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="factbot-sender", daemon=True)
        self._thread.start()

    def put(self, index: int, result: object) -> None:
        """Queue the result of page `index` for the writer."""
        self._queue.put((index, _message(index, result)))

    def finish(self) -> None:
        """Wait until everything queued is sent (or nothing more can be)."""
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            index, message = item
            try:
                _send_whole(self.connection, message)
            except (BrokenPipeError, ConnectionResetError):  # the writer stopped reading
                self.stopped = True
                return
            except Exception:  # a bug: the writer reports it as this page's, if the pipe still takes it
                self.stopped = True
                self._report(index, traceback.format_exc())
                return

    def _report(self, index: int, text: str) -> None:
        try:
            _send_whole(self.connection, _message(index, _Failure(text)))
        except Exception:
            pass  # the worker exits all the same, and the writer reports a stopped worker


def _message(index: int, result: object) -> bytes:
    return pickle.dumps((index, result), protocol=pickle.HIGHEST_PROTOCOL)


def _send_whole(connection: Any, message: bytes) -> None:
    """What connection.send_bytes(message) sends (the writer's recv() reads it), as one write.

    send_bytes writes a large message's length and body separately, taking the GIL in between.
    Its four-byte length holds up to 2 GiB; a page has at most 20 MB of text (format.MAX_PAGE_BYTES).
    """
    data = memoryview(struct.pack("!i", len(message)) + message)
    while data:  # one system call, unless a signal cuts it short
        data = data[os.write(connection.fileno(), data):]


_DONE, _ABANDON = -1, -2
_PIPE_BYTES = 1 << 20  # Linux's default limit for a pipe's buffer: several pages (~130 KB each)


def _widen(sender: Any) -> None:
    """Let the pipe hold several pages, so sending one seldom waits for the writer to read."""
    try:
        fcntl.fcntl(sender.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
    except (AttributeError, OSError):  # not Linux, or a lower limit: sending just waits more often
        pass


def _claim_next(
    count: int, front: int, claimed: Any, limit: Any, stop: Any, lock: Any, parent: int, halted: Callable[[], bool]
) -> int:
    """The first unclaimed page from `front` once the window reaches it; _DONE when none is left;
    _ABANDON when the writer said stop or died (this process was handed to another parent), or
    `halted` says nothing more can be sent."""
    while os.getppid() == parent and not halted():
        if lock.acquire(timeout=_POLL_S):
            try:
                if stop.value:
                    return _ABANDON
                while front < count and front < limit.value and claimed[front]:
                    front += 1
                if front >= count:
                    return _DONE
                if front < limit.value:
                    claimed[front] = 1
                    return front
            finally:
                lock.release()
        time.sleep(_IDLE_S)  # the window is full: the writer is the slower half just now
    return _ABANDON
