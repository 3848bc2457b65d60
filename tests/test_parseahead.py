"""Parsing ahead of the writer: page order, recognised pages skipped, and no hang or stray
process when either side stops early or dies."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest

from storage.pages.format import PageFormatError
from storage.load.parseahead import ParseAhead
from storage.load.prepare import Prepared
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


def test_stopping_early_ends_the_worker(files):
    with ParseAhead(files, lambda path: None, window=8, worker=True) as pages:
        process = pages.process
        next(iter(pages))
    assert process is not None and not process.is_alive()


def test_the_worker_parses_on_while_the_writer_reads_nothing(files):
    """A writer busy committing reads nothing for a while: the worker parses the whole window
    meanwhile, though its pages (~130 KB each) overflow the pipe many times over."""
    window = 20
    with ParseAhead(files, lambda path: None, window=window, worker=True) as pages:
        next(iter(pages))  # opens the window, then reads nothing more
        deadline = time.monotonic() + 30
        while sum(pages.claimed[:window]) < window and time.monotonic() < deadline:
            time.sleep(0.01)
        assert sum(pages.claimed[:window]) == window
        assert sum(pages.claimed[window:]) == 0  # and not a page beyond it


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
