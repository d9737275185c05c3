"""The spool and the timeline keep records on disk and give each back as it was written."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from winback_local.spool import Spool
from winback_local.timeline import Timeline


def test_a_spool_reads_back_any_record_or_run_of_records() -> None:
    spool = Spool()
    records = [f"record {n}".encode() * (n % 3) for n in range(10)]
    for raw in records:
        spool.append(raw)

    assert spool.size == sum(len(r) for r in records)
    assert [spool[i] for i in range(-10, 10)] == records + records
    assert spool[2:7] == records[2:7] and spool[::3] == records[::3] and spool[8:3] == []
    with pytest.raises(IndexError):
        spool[10]
    with pytest.raises(IndexError):
        spool[-11]


def test_an_append_while_iterating_shows_on_the_next_pass() -> None:
    spool = Spool()
    spool.append(b"a")
    seen = []
    for raw in spool:
        seen.append(raw)
        spool.append(b"b")
    assert seen == [b"a"] and list(spool) == [b"a", b"b"]


def test_timeline_entries_read_back_as_timeline_jsonl_holds_them() -> None:
    timeline = Timeline()
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    timeline.append({"at": "2026-03-02T09:00:00Z", "type": "email.sent", "subject": "Caf\u00e9 \u20ac", "n": 1})
    timeline.append({"at": "2026-03-02T09:01:00Z", "type": "flow.ended", "held_out": False, "when": at})

    assert len(timeline) == 2
    assert timeline[0] == {"at": "2026-03-02T09:00:00Z", "type": "email.sent", "subject": "Caf\u00e9 \u20ac", "n": 1}
    assert timeline[-1]["when"] == str(at) and timeline[-1]["held_out"] is False
    assert [e["type"] for e in timeline] == ["email.sent", "flow.ended"] == [e["type"] for e in timeline[0:]]


def test_changing_an_entry_read_back_leaves_the_timeline_as_recorded() -> None:
    timeline = Timeline()
    entry = {"at": "2026-03-02T09:00:00Z", "type": "email.sent"}
    timeline.append(entry)
    entry["type"] = "changed after"
    timeline[0]["eml"] = "outbox/1.eml"

    assert list(timeline) == [{"at": "2026-03-02T09:00:00Z", "type": "email.sent"}]
