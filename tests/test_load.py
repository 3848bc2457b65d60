"""A modest load in the default run; `python -m tests.loadtest --count 500` runs the full one."""

from __future__ import annotations

from tests.loadtest import run_load


async def test_every_interaction_answered_and_every_flag_stored_once(library, capsys):
    result = await run_load(library, count=120)
    with capsys.disabled():
        print("\n" + result.line())
    assert result.lost == 0 and result.answered == 120
    assert result.flag_events == result.flags_sent > 0
    assert result.violations == 0 and result.errors == 0
