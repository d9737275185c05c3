"""Purchase history: paid events and refunds in any order, and `winback history import`."""

from __future__ import annotations

import csv
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from conftest import Harness, at, no_holdout, order_created, order_paid
from winback.aws.store import ContactRecord, CustomerRecord, RfmRun, find
from winback.domain import history
from winback.model.campaigns import default_campaigns
from winback_local.history_import import HistoryFileError, import_file

HEADER = "order_id,contact_id,email,placed_at,paid_at,total,currency,status\n"


def _summary(contact_id: str) -> history.Summary:
    return history.summary(find(CustomerRecord, contact_id))


def test_a_duplicated_payment_counts_once_and_a_refund_counts_in_any_order(stack: Harness) -> None:
    stack.send("Order Created", order_created("o-1", "c-1"))
    stack.send("Order Paid", order_paid("o-1", "c-1", "120.00"), when=at(minutes=5))
    stack.send("Order Paid", order_paid("o-1", "c-1", "120.00"))  # delivered twice
    stack.send("Order Created", order_created("o-2", "c-1", "30.00"), when=at(minutes=10))
    stack.send("Order Paid", order_paid("o-2", "c-1", "30.00"))
    first = _summary("c-1")
    assert (first.orders, first.revenue_minor, first.currency) == (2, 15_000, "EUR")
    stack.send("Order Cancelled", {"order_id": "o-2", "contact_id": "c-1"}, when=at(days=1))  # refunded
    assert (_summary("c-1").orders, _summary("c-1").revenue_minor) == (1, 12_000)
    # The refund heard before the payment it undoes: the same result.
    cancelled = stack.rt.envelope("Order Cancelled", {"order_id": "o-3", "contact_id": "c-2"})
    paid = stack.rt.envelope("Order Paid", order_paid("o-3", "c-2", "50.00"))
    paid["time"] = "2026-03-03T08:00:00Z"
    stack.rt.put_events([cancelled, paid])
    assert _summary("c-2").orders == 0


@pytest.mark.parametrize(
    "campaigns",
    [no_holdout([c for c in default_campaigns() if c.flow == "unpaid_order"]), no_holdout(default_campaigns())],
    ids=["unpaid-order flow alone", "every flow"],
)
def test_a_payment_is_one_write_to_the_customer_and_a_late_older_one_keeps_the_last(
    stack: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """History, paid orders and last payment go in one UpdateItem (two if the payment
    is older than one already recorded: then the last payment stays the newer one)."""
    writes: list[str] = []
    update = CustomerRecord.update

    def counted(record: CustomerRecord, *args: Any, **kwargs: Any) -> Any:
        writes.append(record.contact_id)
        return update(record, *args, **kwargs)

    stack.send("Order Created", order_created("o-2", "c-1"))
    stack.send("Order Created", order_created("o-1", "c-1", "30.00"))
    monkeypatch.setattr(CustomerRecord, "update", counted)
    stack.send("Order Paid", order_paid("o-2", "c-1"), when=at(minutes=5))
    assert writes == ["c-1"]
    late = stack.rt.envelope("Order Paid", order_paid("o-1", "c-1", "30.00"))
    late["time"] = "2026-03-02T09:02:00Z"  # paid before o-2, heard after it
    stack.rt.put_events([late])
    customer = find(CustomerRecord, "c-1")
    assert customer.paid_orders == {"o-1", "o-2"}
    assert customer.last_paid_at == at(minutes=5)
    assert _summary("c-1").orders == 2
    assert len(writes) == 3


def _write(tmp: Path, rows: list[str], header: str = HEADER) -> Path:
    path = tmp / "orders.csv"
    path.write_text(header + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


GOOD = [
    "o-1,c-1,ana@example.com,2025-01-10T10:00:00Z,2025-01-10T10:05:00Z,120.00,EUR,paid",
    "o-2,c-1,ana@example.com,2025-06-10T10:00:00Z,2025-06-10T10:05:00Z,80.00,EUR,paid",
    "o-3,c-2,bo@example.com,2025-02-01T09:00:00Z,2025-02-01T09:00:00Z,1999,JPY,paid",
    "o-4,c-2,bo@example.com,2025-03-01T09:00:00Z,2025-03-01T09:00:00Z,40.00,EUR,refunded",
    "o-5,c-3,cy@example.com,2025-03-01T09:00:00Z,,40.00,EUR,pending",
]
BAD = [
    ("o-6,c-4,dee@example.com,2025-03-01,yesterday,40.00,EUR,paid", "paid_at: 'yesterday' is not a date"),
    ("o-7,c-4,dee@example.com,,2025-03-01T09:00:00Z,-5.00,EUR,paid", "total: '-5.00' must not be negative"),
    ("o-8,c-4,dee@example.com,,2025-03-01T09:00:00Z,5.00,EUX,paid", "currency: 'EUX' is not an ISO 4217"),
    ("o-1,c-9,zed@example.com,,2025-03-01T09:00:00Z,5.00,EUR,paid", "order_id: o-1 appears earlier in the file"),
    ("o-9,c-4,not-an-email,,2025-03-01T09:00:00Z,5.00,EUR,paid", "email: is not a valid email address"),
    ("o-10,c-4,dee@example.com,,2025-03-01T09:00:00Z,5.00,EUR,lost", "status: 'lost' is not paid"),
    ("o-11,c-4,dee@example.com,,2025-03-01T09:00:00Z,5.00,EUR", "row: its number of fields"),
]


def test_import_reports_each_bad_row_and_imports_the_rest_once(stack: Harness, tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD + [row for row, _ in BAD])
    outcome = import_file(path)
    assert (outcome.rows, outcome.imported, outcome.not_paid, outcome.rejected) == (12, 4, 1, 7)
    with open(outcome.rejects or "", encoding="utf-8") as handle:
        rejects = list(csv.reader(handle))[1:]
    assert [int(r[0]) for r in rejects] == list(range(7, 14))  # line numbers, header is line 1
    for (_, reason), found in zip(BAD, rejects, strict=True):
        assert found[1].startswith(reason), found
    assert (_summary("c-1").orders, _summary("c-1").revenue_minor) == (2, 20_000)
    assert _summary("c-2").orders == 1 and _summary("c-2").without_rate == 1  # JPY has no rate; refund left out
    assert find(ContactRecord, "c-1").marketing_consent is False  # an import never grants consent
    assert RfmRun.get("baseline", "pending") is not None  # the next RFM run sets segments silently

    RfmRun.get("baseline", "pending").delete()
    again = import_file(path)
    assert (again.imported, again.already) == (0, 4)
    assert not list(RfmRun.query("baseline")), "a second import of the same file changes nothing"


def test_a_file_with_unknown_columns_is_refused_whole(stack: Harness, tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD[:1], header=HEADER.replace("status", "state"))
    with pytest.raises(HistoryFileError, match="unknown: state; missing: status"):
        import_file(path)


SHOPIFY = (
    "Name,Email,Financial Status,Paid at,Fulfillment Status,Accepts Marketing,Currency,Subtotal,Total,"
    "Refunded Amount,Created at,Lineitem quantity,Lineitem name,Id\n"
    "#1001,Ana@Example.com,paid,2025-01-10 10:22:33 +0100,fulfilled,yes,EUR,100.00,110.00,0.00,"
    "2025-01-10 10:20:00 +0100,1,Python 101,5678901234567\n"
    "#1001,Ana@Example.com,,,,,,,,,2025-01-10 10:20:00 +0100,2,Python mug,\n"
    "#1002,bo@example.com,partially_refunded,2025-02-10 10:22:33 +0100,,no,EUR,100.00,100.00,30.00,"
    "2025-02-10 10:20:00 +0100,1,Python 102,5678901234568\n"
    "#1003,bo@example.com,pending,,,no,EUR,10.00,10.00,0.00,2025-02-11 10:20:00 +0100,1,Mug,5678901234569\n"
    "#1004,cy@example.com,refunded,2025-03-10 10:22:33 +0100,,no,EUR,50.00,50.00,50.00,"
    "2025-03-10 10:20:00 +0100,1,Python 103,5678901234570\n"
)


def test_shopifys_orders_export_is_read_as_exported(stack: Harness, tmp_path: Path) -> None:
    path = tmp_path / "orders_export.csv"
    path.write_text(SHOPIFY, encoding="utf-8")
    outcome = import_file(path)
    assert (outcome.imported, outcome.line_items, outcome.not_paid, outcome.rejected) == (3, 1, 1, 0)
    ana = _summary("ana@example.com")  # Shopify's export has no customer id: the email is the contact
    assert (ana.orders, ana.revenue_minor) == (1, 11_000)
    assert ana.last_paid_at is not None and ana.last_paid_at.isoformat() == "2025-01-10T09:22:33+00:00"
    assert _summary("bo@example.com").revenue_minor == 7_000  # 100.00 less 30.00 refunded
    assert _summary("cy@example.com").orders == 0  # refunded in full


def _peak_reading(path: Path) -> int:
    from winback_local.history_import import Outcome, rows

    tracemalloc.start()
    with open(path, encoding="utf-8", newline="") as handle:
        count = sum(1 for _ in rows(handle, Outcome(), lambda *_: None))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == 5000
    return peak


def test_a_large_file_is_read_row_by_row_never_whole(stack: Harness, tmp_path: Path) -> None:
    """Rows twenty times longer take no more memory: only a digest per order id
    (to find duplicates) stays, about 60 bytes an order."""
    sizes = []
    for notes in ("", "x" * 2000):
        path = tmp_path / f"export{len(notes)}.csv"
        with open(path, "w", encoding="utf-8") as handle:
            handle.write("Name,Email,Financial Status,Paid at,Created at,Currency,Total,Notes,Id\n")
            for n in range(5000):
                when = "2025-01-10 10:22:33 +0100"
                handle.write(f"#{n},c{n % 700}@example.com,paid,{when},{when},EUR,{n % 90}.50,{notes},{n}\n")
        sizes.append((path.stat().st_size, _peak_reading(path)))
    (small_file, small_peak), (big_file, big_peak) = sizes
    assert big_file > 20 * small_file
    assert big_peak < 1.5 * small_peak + 64 * 1024, sizes
