"""Parsing ahead of the writer: page order, recognised pages skipped, and no hang or stray
process when either side stops early or dies."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from pathlib import Path

import pytest

import storage.load.parseahead as parseahead
from storage.pages.format import PageFormatError
from storage.load.parseahead import ParseAhead
from storage.load.prepare import Prepared, prepare
from bot.tools.synthetic import PAGE_FACTS, write_corpus
from tests.conftest import SEED


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("pages")
    list(write_corpus(folder, 30 * PAGE_FACTS, SEED))
    (folder / "zz_broken.txt").write_text("concept\nonly a name\n", encoding="utf-8")
    return sorted(folder.glob("*.txt"))


def _concept(result: object) -> str:
    return result.concept if isinstance(result, Prepared) else type(result).__name__


@pytest.mark.parametrize("worker", [True, False])
def test_results_come_in_file_order_and_known_pages_are_not_parsed(files, worker):
    known = {files[3]: "seen before", files[10]: "seen before"}
    with ParseAhead(files, known.get, window=8, worker=worker) as pages:
        results = list(pages)
    assert len(results) == len(files)
    assert results[3] == results[10] == "seen before"
    parsed = [r for i, r in enumerate(results) if i not in (3, 10)]
    assert all(isinstance(r, Prepared) for r in parsed[:-1]) and isinstance(parsed[-1], PageFormatError)
    assert [r.path for r in parsed[:-1]] == [str(f) for i, f in enumerate(files[:-1]) if i not in (3, 10)]


@pytest.mark.parametrize("window", [8, 30])  # 30 pages overflow the pipe: the sender is cut off mid-write
def test_stopping_early_ends_the_worker(files, window):
    with ParseAhead(files, lambda path: None, window=window, worker=True) as pages:
        process = pages.process
        next(iter(pages))
    assert process is not None and not process.is_alive()
    assert process.exitcode == 0  # it stopped by itself, not terminated by close() after a wait


def test_the_worker_parses_on_while_the_writer_reads_nothing(files, monkeypatch):
    """A writer busy committing reads nothing for a while: the worker parses the whole window
    meanwhile, though its pages (~130 KB each) overflow the pipe many times over, and they all
    arrive afterwards, whole and in order."""
    window = 20
    own: list[Path] = []  # pages the writer parses itself (the worker is another process)
    monkeypatch.setattr(parseahead, "prepare", lambda path: own.append(path) or prepare(path))
    with ParseAhead(files, lambda path: None, window=window, worker=True) as pages:
        results = iter(pages)
        first = next(results)  # opens the window, then reads nothing more
        deadline = time.monotonic() + 30
        while sum(pages.claimed[:window]) < window and time.monotonic() < deadline:
            time.sleep(0.01)
        assert sum(pages.claimed[:window]) == window
        assert len(own) <= 1  # page 0 perhaps, while the worker started: it parsed the rest
        rest = list(results)
    assert [r.path for r in [first, *rest[:-1]]] == [str(f) for f in files[:-1]]
    assert isinstance(rest[-1], PageFormatError) and rest[-1].path == str(files[-1])


def test_a_sender_that_fails_stops_the_worker_and_names_the_page(monkeypatch):
    """Sending a page fails (not a closed pipe): the writer gets a typed error for that page
    instead of waiting for it, and the worker's claim loop gives up."""
    real = parseahead._send_whole

    def fail_large(connection, message):
        if len(message) > 1000:  # a page; the report of the failure is small and goes through
            raise MemoryError("no room")
        real(connection, message)

    monkeypatch.setattr(parseahead, "_send_whole", fail_large)
    reader, writer = multiprocessing.Pipe(duplex=False)
    sender = parseahead._Sender(writer)
    sender.put(3, b"x" * 5000)
    assert reader.poll(10)  # no hang: the failure is reported
    index, failure = reader.recv()
    assert index == 3 and "MemoryError: no room" in failure.text
    assert sender.stopped
    full = bytearray([1, 1])  # every page of the window claimed: without `halted` this waits on
    claimed = parseahead._claim_next(4, 0, full, parseahead._Value(2), parseahead._Value(0), threading.Lock(),
                                     os.getppid(), lambda: sender.stopped)
    assert claimed == parseahead._ABANDON


def test_a_sender_whose_writer_stopped_reading_stops_quietly():
    reader, writer = multiprocessing.Pipe(duplex=False)
    reader.close()
    sender = parseahead._Sender(writer)
    sender.put(0, b"page")
    sender.finish()
    assert sender.stopped


def test_a_dead_worker_is_an_error_not_a_hang(files):
    """The worker dies holding page 0 (claimed, never sent): the writer must not wait forever."""
    started = time.monotonic()
    with ParseAhead(files, lambda path: None, window=2, worker=True) as pages:
        os.kill(pages.process.pid, signal.SIGKILL)  # no window is open yet: it has claimed nothing
        pages.process.join()
        pages.claimed[0] = 1
        with pytest.raises(RuntimeError, match="parser process stopped"):
            list(pages)
    assert time.monotonic() - started < 30


def test_a_bug_in_the_worker_is_a_typed_error_naming_the_page(files):
    """An exception that is not a page error, raised while the worker parsed a page, reaches the
    writer as ParseWorkerError with the page's path and the worker's traceback."""
    from storage.load.parseahead import ParseWorkerError, _Failure

    with ParseAhead(files, lambda path: None, window=2, worker=True) as pages:
        os.kill(pages.process.pid, signal.SIGKILL)
        pages.process.join()
        pages.claimed[0] = 1
        # What the worker sends when prepare raises: a pipe like the worker's carries it.
        pages.results, sender = multiprocessing.Pipe(duplex=False)
        sender.send((0, _Failure("Traceback (most recent call last):\nZeroDivisionError: boom")))
        with pytest.raises(ParseWorkerError) as caught:
            list(pages)
    assert caught.value.page == str(files[0])
    assert str(files[0]) in str(caught.value) and "ZeroDivisionError: boom" in str(caught.value)
