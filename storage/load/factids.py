"""Who owns which fact id, while a batch of pages is written.

A fact's id is the first ID_LENGTH characters of its key hash. When another fact already owns
that prefix, or the flag history gave it to other content, the fact gets one character more,
and so on. The first owner keeps its id; a page that is reloaded takes back the ids it had.

The ids of a batch are held here and go into the `fact_ids` table in sorted order when the
batch ends: inserting a million random ids one by one into that index was the slowest part of
a bulk load. Clashes inside the batch are found in memory at once; a clash with a fact written
by an earlier batch is found when the sorted insert hits the unique key.
"""

from __future__ import annotations

import sqlite3
from bisect import bisect_right
from itertools import islice

from storage.identity import ID_LENGTH, short_id


class FactIds:
    """The ids assigned in one write batch (one per loader transaction)."""

    def __init__(self, conn: sqlite3.Connection, flagged: dict[str, str]) -> None:
        self.conn = conn
        self.flagged = flagged  # every id the flag history names -> the content key it was given to
        self.pending: dict[str, int] = {}  # id -> facts.rowid, assigned in this batch, not yet in fact_ids
        # (first rowid, keys, concept id) of each page written in this batch, in rowid order: where a
        # pending fact's key comes from when its id must change (plain lists, not an object per fact).
        self._pages: list[tuple[int, list[str], int]] = []

    def assign(
        self,
        keys: list[str],
        short_ids: list[str],
        first_rowid: int,
        concept_id: int,
        owned: dict[str, str],
    ) -> list[str]:
        """Ids for one page's facts (keys and their ID_LENGTH ids), stored at rowids first_rowid, ...

        `owned` maps each id the page's previous version had to the content key that had it: a fact
        whose content is unchanged gets its old id back, whatever happened to its neighbours.
        """
        # A page whose facts had lengthened ids skips the ids earlier batches own now, not at the
        # end of the batch, so it gets its lengthened ids back and reports them as kept.
        check_table = any(len(i) > ID_LENGTH for i in owned)
        self._pages.append((first_rowid, keys, concept_id))
        if not check_table and self._all_free(keys, short_ids):
            self.pending.update(zip(short_ids, range(first_rowid, first_rowid + len(keys))))
            return short_ids
        previous = {key: fact_id for fact_id, key in owned.items()}
        present = set(keys)
        # An old id whose content is still on the page is that content's, and nobody else's.
        taken = {fact_id for fact_id, key in owned.items() if key in present}
        ids: list[str] = [""] * len(keys)
        # Sorted by key, so which of two clashing facts of one page gets the shorter id does not
        # depend on their order in the file.
        for offset in sorted(range(len(keys)), key=keys.__getitem__):
            key = keys[offset]
            fact_id = previous.get(key)
            if fact_id is None or self.flagged.get(fact_id, key) != key:
                fact_id = self._free(key, taken, check_table)
            elif fact_id in self.pending:  # taken earlier in this batch, but this page owned it before
                self._move(fact_id)
            self.pending[fact_id] = first_rowid + offset
            taken.add(fact_id)
            ids[offset] = fact_id
        return ids

    def release(self, facts: list[tuple[int, str]]) -> None:
        """Forget the ids of deleted facts, given as (rowid, id)."""
        # Only pages of earlier batches are replaced: a load takes one file per concept
        # (loader._one_file_per_concept), so no page is written twice in one batch.
        self.conn.executemany("DELETE FROM fact_ids WHERE id = ? AND fact = ?", [(i, r) for r, i in facts])

    def next_rowid(self) -> int:
        """The first facts rowid for the next page: rowids only grow within a batch (see flush)."""
        if not self._pages:
            return self.conn.execute("SELECT coalesce(max(rowid), 0) + 1 FROM facts").fetchone()[0]
        first, keys, _ = self._pages[-1]
        return first + len(keys)

    def flush(self) -> None:
        """Add the batch's ids to fact_ids in sorted order, lengthening any an earlier batch owns."""
        if not self._pages:
            return
        try:
            # The batch's facts are exactly those from its first rowid on (rowids only grow).
            self.conn.execute(
                "INSERT INTO fact_ids (id, fact) SELECT id, rowid FROM facts WHERE rowid >= ? ORDER BY id",
                (self._pages[0][0],),
            )
        except sqlite3.IntegrityError:  # an id an earlier batch owns; the statement was undone
            self._flush_resolving()
        self.pending.clear()
        self._pages.clear()

    def _flush_resolving(self) -> None:
        order = sorted(self.pending)
        done = 0
        while done < len(order):
            before = self.conn.total_changes
            try:
                rows = ((fact_id, self.pending[fact_id]) for fact_id in islice(order, done, None))
                self.conn.executemany("INSERT INTO fact_ids (id, fact) VALUES (?, ?)", rows)
                break
            except sqlite3.IntegrityError:
                done += self.conn.total_changes - before  # the rows before the clashing one went in
                rowid = self.pending[order[done]]
                new_id = self._free(self._origin(rowid)[0], set(), check_table=True)
                self._rename(order[done], new_id, rowid)
                self.conn.execute("INSERT INTO fact_ids (id, fact) VALUES (?, ?)", (new_id, rowid))
                done += 1

    def _all_free(self, keys: list[str], short_ids: list[str]) -> bool:
        """True when no id of the page clashes in the page, in the batch or with the flag history."""
        if len(set(short_ids)) != len(short_ids) or not self.pending.keys().isdisjoint(short_ids):
            return False
        return all(self.flagged.get(i, k) == k for i, k in zip(short_ids, keys))

    def _free(self, key: str, taken: set[str], check_table: bool) -> str:
        """The shortest id of `key` that is not in `taken` and nobody else may have."""
        length = ID_LENGTH
        while True:
            candidate = short_id(key, length)
            if (
                candidate not in taken
                and self.flagged.get(candidate, key) == key
                and candidate not in self.pending
                and not (check_table and self._in_table(candidate))
            ):
                return candidate
            length += 1

    def _in_table(self, fact_id: str) -> bool:
        return self.conn.execute("SELECT 1 FROM fact_ids WHERE id = ?", (fact_id,)).fetchone() is not None

    def _origin(self, rowid: int) -> tuple[str, int]:
        """The key and concept id of a fact written in this batch."""
        first, keys, concept_id = self._pages[bisect_right(self._pages, rowid, key=lambda page: page[0]) - 1]
        return keys[rowid - first], concept_id

    def _move(self, fact_id: str) -> None:
        """Give the pending holder of `fact_id` another id (its page is written already)."""
        rowid = self.pending[fact_id]
        new_id = self._free(self._origin(rowid)[0], set(), check_table=True)  # skips fact_id: pending
        del self.pending[fact_id]
        self._rename(fact_id, new_id, rowid)
        self.pending[new_id] = rowid

    def _rename(self, fact_id: str, new_id: str, rowid: int) -> None:
        self.conn.execute("UPDATE facts SET id = ? WHERE rowid = ?", (new_id, rowid))
        self.conn.execute(
            "UPDATE citations SET fact_id = ? WHERE concept_id = ? AND fact_id = ?",
            (new_id, self._origin(rowid)[1], fact_id),
        )
