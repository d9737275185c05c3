"""Malformed order events (hypothesis): none crashes a batch, each is rejected naming its
field, and the valid events around it are processed."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flows import checkout
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import T0, order_created
from winback.model import clock
from winback.model.campaigns import default_campaigns
from winback.model.events import InvalidEvent, parse_event
from winback_local.runtime import LocalRuntime

# Text SQS and EventBridge carry: no surrogates, no control characters but tab and newlines.
TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc"), whitelist_characters="\t\n"), max_size=40)
NASTY_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.just(""),
    st.just("x" * 100_000),
    st.sampled_from(["NaN", "-1.00", "1e40", "€49", "😀🛒", "مرحبا بالعالم", "ZZZ", "xx-YY-1", "a@", "@b.c"]),
    TEXT,
    st.lists(st.integers(), max_size=3),
    st.dictionaries(TEXT, st.integers(), max_size=2),
)
# Every field path of an Order Created detail a mutation may hit.
PATHS = [
    ("order_id",),
    ("offer_id",),
    ("currency",),
    ("total",),
    ("pay_url",),
    ("items",),
    ("contact",),
    ("contact", "id"),
    ("contact", "email"),
    ("contact", "first_name"),
    ("contact", "locale"),
    ("contact", "timezone"),
    ("contact", "marketing_consent"),
    ("items", 0, "sku"),
    ("items", 0, "name"),
    ("items", 0, "unit_price"),
    ("items", 0, "quantity"),
]


# The same for a Checkout Started (the cart series reads these).
CART_PATHS = [
    ("cart_id",),
    ("subtotal",),
    ("restore_url",),
    ("currency",),
    ("items",),
    ("contact",),
    ("contact", "email"),
    ("contact", "locale"),
    ("items", 0, "sku"),
    ("items", 0, "name"),
    ("items", 0, "unit_price"),
    ("items", 0, "quantity"),
    ("items", 0, "description"),
    ("items", 0, "image_url"),
]


@st.composite
def mutated_detail(
    draw: st.DrawFn, base: dict[str, Any] | None = None, paths: list[tuple[Any, ...]] = PATHS
) -> tuple[dict[str, Any], tuple[Any, ...], str, Any]:
    detail = copy.deepcopy(base or order_created("o-bad", "c-bad"))
    path = draw(st.sampled_from(paths))
    kind = draw(st.sampled_from(["replace", "delete", "extra"]))
    value = draw(NASTY_VALUES)
    parent: Any = detail
    for part in path[:-1]:
        parent = parent[part]
    if kind == "delete":
        parent.pop(path[-1], None)
    elif kind == "extra":
        parent[f"unexpected_{path[-1]}"] = value
    else:
        parent[path[-1]] = value
    return detail, path, kind, value


OPTIONAL = {
    ("contact", "first_name"),
    ("contact", "locale"),
    ("contact", "timezone"),
    ("contact", "marketing_consent"),
    ("items", 0, "description"),
    ("items", 0, "image_url"),
}
MONEY = {("total",), ("subtotal",), ("items", 0, "unit_price")}


def must_reject(path: tuple[Any, ...], kind: str, value: Any) -> bool:
    """Mutations no reading of the contract can accept."""
    if kind == "delete":
        return path not in OPTIONAL
    if kind != "replace":
        return False
    if value is None:
        return path not in OPTIONAL
    if isinstance(value, (list, dict)) and path not in {("items",), ("contact",)}:
        return True
    if isinstance(value, str) and len(value) == 100_000:
        return True
    if path in MONEY and isinstance(value, (int, float)) and not isinstance(value, bool):
        return not (0 <= value <= 1e9) or value != value  # negative, huge or NaN
    return path in MONEY and value in ("NaN", "-1.00", "1e40", "€49")


def _named(reason: str, path: tuple[Any, ...]) -> bool:
    """The reason names the mutated field, a field above it, or an element inside it."""
    location = reason.split(":", 1)[0].split(".")
    mutated = ["detail", *map(str, path)]
    shorter = min(len(location), len(mutated))
    return shorter >= 2 and location[:shorter] == mutated[:shorter]


def _accepted_or_rejected_by_name(detail_type: str, case: tuple[dict[str, Any], tuple[Any, ...], str, Any]) -> None:
    detail, path, kind, value = case
    envelope = {"id": "e", "time": clock.iso(T0), "source": "shop", "detail-type": detail_type, "detail": detail}
    try:
        parse_event(envelope)
    except InvalidEvent as invalid:
        assert kind != "extra", f"an unknown field was a reason to reject: {invalid.reason}"
        assert _named(invalid.reason, path), f"{path}: {invalid.reason}"
    else:
        assert not must_reject(path, kind, value), f"accepted {kind} {path} = {str(value)[:60]!r}"


@settings(max_examples=400, deadline=None, derandomize=True)  # the same examples in every CI run
@given(mutated_detail())
def test_a_malformed_event_is_accepted_or_rejected_naming_its_field(case) -> None:
    _accepted_or_rejected_by_name("Order Created", case)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(mutated_detail(checkout("cart-bad", "c-bad"), CART_PATHS))
def test_a_malformed_checkout_is_accepted_or_rejected_naming_its_field(case) -> None:
    _accepted_or_rejected_by_name("Checkout Started", case)


@pytest.fixture(scope="module")
def runtime() -> Iterator[LocalRuntime]:
    with LocalRuntime(T0, default_campaigns()) as local:
        yield local


_ids = itertools.count()


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutated_detail(), st.sampled_from([0, 1, 2]))
def test_a_malformed_event_never_costs_its_neighbours_in_the_batch(runtime: LocalRuntime, case, position) -> None:
    detail, _, _, _ = case
    n = next(_ids)
    good = [order_created(f"o-{n}-{i}", f"c-{n}-{i}") for i in range(2)]
    if isinstance(detail.get("order_id"), str):
        detail["order_id"] = f"o-bad-{n}"  # its own order, whatever earlier examples did
    batch = [runtime.envelope("Order Created", d) for d in good]
    batch.insert(position, runtime.envelope("Order Created", detail))
    rejected_before = sum(1 for e in runtime.timeline if e["type"] == "event.rejected")
    seen_before = sum(1 for e in runtime.timeline if e["type"] == "order.seen")
    runtime.put_events(batch)
    rejected = sum(1 for e in runtime.timeline if e["type"] == "event.rejected") - rejected_before
    seen = sum(1 for e in runtime.timeline if e["type"] == "order.seen") - seen_before
    seen_ids = {e["order_id"] for e in runtime.timeline if e["type"] == "order.seen"}
    assert {g["order_id"] for g in good} <= seen_ids  # the neighbours went through
    assert rejected + seen == 3  # nothing lost: each event applied or rejected
    assert runtime.failures == []


def test_future_and_unparseable_times_are_rejected_by_name() -> None:
    for moment in (clock.iso(clock.now() + timedelta(days=3)), "yesterday", "2026-13-45T99:00:00Z"):
        envelope = {
            "id": "e",
            "time": moment,
            "source": "shop",
            "detail-type": "Order Created",
            "detail": order_created(),
        }
        with pytest.raises(InvalidEvent) as raised:
            parse_event(envelope)
        assert raised.value.reason.startswith("time:")
