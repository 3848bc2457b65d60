"""Each validation error on a broken copy of the seed names the file and the line."""

from __future__ import annotations

import pytest

from storage.pages.format import PageFormatError, parse_bytes, parse_file, parse_text
from tests.conftest import SEED

TEXT = SEED.read_text(encoding="utf-8")
LINES = TEXT.splitlines()


def _broken(replace: dict[int, str | None]) -> str:
    """The seed with 1-based line numbers replaced (None blanks the line, keeping the numbering)."""
    out = []
    for number, line in enumerate(LINES, 1):
        if number in replace:
            out.append(replace[number] or "")
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def _error(text: str) -> PageFormatError:
    with pytest.raises(PageFormatError) as info:
        parse_text(text, "broken.txt")
    assert str(info.value).startswith("broken.txt")
    return info.value


def test_perspective_count_mismatch():
    error = _error(_broken({17: "Model Perspectives (8)"}))
    assert error.line == 17 and "declares 8 but 7" in error.reason


def test_fact_count_mismatch():
    error = _error(_broken({33: "Facts (284)"}))
    assert error.line == 33 and "declares 284 but 285" in error.reason


def test_source_count_mismatch():
    error = _error(_broken({36: LINES[35].replace("195 facts", "194 facts")}))
    assert error.line == 36 and "declares 194 facts but 195" in error.reason


def test_dropped_fact_line_is_caught_by_the_counts():
    error = _error(_broken({40: None}))
    assert error.line == 36


def test_unreadable_line():
    error = _error(_broken({100: "this line is neither a fact nor a source"}))
    assert error.line == 100 and "neither a fact" in error.reason


def test_unknown_fact_type():
    error = _error(_broken({37: "opinionThe Montreal model is great."}))
    assert error.line == 37


def test_fact_before_any_source():
    error = _error(_broken({36: None}))
    assert error.line == 37 and "before any source" in error.reason


def test_missing_concept_header():
    error = _error(_broken({1: "konzept"}))
    assert error.line == 1


def test_perspective_without_text():
    error = _error(_broken({19: None}))
    assert error.line == 20 and "no text" in error.reason


def test_empty_file():
    with pytest.raises(PageFormatError) as info:
        parse_text("", "empty.txt")
    assert "empty.txt" in str(info.value)


def test_not_utf8_names_the_line():
    data = TEXT.encode("utf-8").replace(b"Ketamine is a synthetic,", b"Ketamine is a synth\xe9tic,", 1)
    with pytest.raises(PageFormatError) as info:
        parse_bytes(data, "latin.txt")
    assert info.value.line == 7 and "UTF-8" in info.value.reason


def test_missing_file(tmp_path):
    with pytest.raises(PageFormatError) as info:
        parse_file(tmp_path / "nope.txt")
    assert "nope.txt" in str(info.value)


def test_format_error_survives_pickling():
    """Pages are parsed in a worker process: the error must cross it with file and line intact."""
    import pickle

    error = pickle.loads(pickle.dumps(PageFormatError("pages/x.txt", 12, "source 'T' declares 3 facts but 2 follow it")))
    assert (error.path, error.line, error.reason) == ("pages/x.txt", 12, "source 'T' declares 3 facts but 2 follow it")
    assert str(error) == "pages/x.txt:12: source 'T' declares 3 facts but 2 follow it"


@pytest.mark.parametrize("blanked", [3, 5], ids=["no concept name", "no subtitle"])
def test_a_missing_name_or_subtitle_is_not_filled_with_the_synthesis(blanked):
    """Without one of them the first paragraph moved up into the headings, and the page loaded
    under its subtitle's name as a second concept."""
    error = _error(_broken({blanked: None}))
    assert error.line == 7 and "is the concept name or the subtitle missing?" in error.reason
