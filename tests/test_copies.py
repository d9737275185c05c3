"""moto's Step Functions engine copies state data as JSON: equal, sharing nothing, and
anything that is not JSON still deep-copied."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from winback_local import copies


def test_a_copy_is_equal_and_shares_no_dict_or_list_with_the_original() -> None:
    original: dict[str, Any] = {"order": {"id": "o-1", "items": [{"sku": "s", "qty": 2}]}, "paid": None, "n": 1.5}
    made = copies.copy_json(original)
    assert made == original
    made["order"]["items"][0]["qty"] = 3
    made["order"]["items"].append({"sku": "t"})
    assert original["order"]["items"] == [{"sku": "s", "qty": 2}]


def test_what_is_not_json_is_deep_copied_and_shared_parts_become_two() -> None:
    when = datetime(2026, 3, 2, tzinfo=UTC)
    tags = {"a", "b"}
    shared = {"x": 1}
    made = copies.copy_json({"at": when, "tags": tags, "left": shared, "right": shared})
    assert made["at"] == when and made["tags"] == tags and made["tags"] is not tags
    assert made["left"] == made["right"] and made["left"] is not made["right"]  # as two JSON documents would be


def test_moto_s_state_data_is_copied_so_while_installed() -> None:
    from moto.stepfunctions.parser.asl.eval import states

    undo = copies.install()
    try:
        assert states.copy.deepcopy is copies.copy_json
        assert states.States._extract(None, {"a": [1]}) == {"a": [1]}
    finally:
        undo()
    assert states.copy.deepcopy is not copies.copy_json
