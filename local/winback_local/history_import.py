"""`winback history import FILE`: years of orders into the purchase history.

Two formats, found from the header (docs/history.md):
- winback's generic CSV: order_id, contact_id, email, placed_at, paid_at, total,
  currency, status (paid, refunded, cancelled or pending);
- the orders CSV Shopify's admin exports (one row per line item: the order's fields
  are on its first row; the contact id is the email, lower-cased).

The file is read row by row, never whole. Each bad row is written to the rejects file
with its line number and reason while the rest is imported; a row is imported whole or
not at all. Importing the same file twice changes nothing (set additions, conditional
on the entry being new). When anything was added, the next RFM run is a baseline:
segments are set, nobody "enters" one that day.
"""

from __future__ import annotations

import csv
import hashlib
import sys
import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from pynamodb.exceptions import PutError, UpdateError

from winback.aws.store import ContactRecord, CustomerRecord, condition_failed
from winback.domain import history, segments
from winback.model import clock
from winback.model.events import MAX_AMOUNT

GENERIC = ("order_id", "contact_id", "email", "placed_at", "paid_at", "total", "currency", "status")
SHOPIFY_NEEDS = ("Name", "Email", "Financial Status", "Paid at", "Created at", "Currency", "Total")
PAID = {"paid", "refunded", "partially_refunded"}
NOT_PAID = {"cancelled", "pending", "authorized", "partially_paid", "voided", "expired", "unpaid", ""}


class HistoryFileError(ValueError):
    """A file that cannot be imported at all (its header); the message says why."""


@dataclass(frozen=True)
class Row:
    line: int
    order_id: str
    contact_id: str
    email: str | None
    paid_at: datetime
    total: Decimal
    currency: str
    refunded: bool


@dataclass
class Outcome:
    rows: int = 0
    imported: int = 0
    already: int = 0  # in the history already (a second import)
    not_paid: int = 0
    line_items: int = 0  # Shopify's extra rows of an order
    rejected: int = 0
    rejects: Path | None = None
    seen: set[int] = field(default_factory=set)  # 8-byte digests of order ids: ~60 bytes each


class Rejected(ValueError):
    pass


def _digest(order_id: str) -> int:
    return int.from_bytes(hashlib.blake2b(order_id.encode(), digest_size=8).digest(), "big")


def _when(text: str, what: str) -> datetime:
    text = text.strip()
    for parse in (
        lambda s: datetime.fromisoformat(s.replace("Z", "+00:00")),
        lambda s: datetime.strptime(s, "%Y-%m-%d %H:%M:%S %z"),  # Shopify: 2024-03-01 10:22:33 +0100
    ):
        try:
            moment = parse(text)
        except ValueError:
            continue
        if moment.tzinfo is None:
            raise Rejected(f"{what}: {text!r} has no time zone")
        if moment > clock.now():
            raise Rejected(f"{what}: {text!r} is in the future")
        return moment.astimezone(UTC)
    raise Rejected(f"{what}: {text[:40]!r} is not a date and time (2024-03-01T10:22:33Z)")


def _money(text: str) -> Decimal:
    try:
        amount = Decimal(text.strip())
    except InvalidOperation:
        raise Rejected(f"total: {text[:40]!r} is not an amount") from None
    if not amount.is_finite() or amount < 0:
        raise Rejected(f"total: {text[:40]!r} must not be negative")
    if amount > MAX_AMOUNT:
        raise Rejected(f"total: {text[:40]!r} is larger than {MAX_AMOUNT}")
    return amount


def _currency(text: str) -> str:
    from babel.numbers import list_currencies

    code = text.strip().upper()
    if code not in list_currencies():
        raise Rejected(f"currency: {text[:12]!r} is not an ISO 4217 currency code")
    return code


def _email(text: str) -> str | None:
    from winback.model.events import _email as valid_email

    text = text.strip()
    if not text:
        return None
    try:
        return valid_email(text)
    except ValueError:
        raise Rejected("email: is not a valid email address") from None


def _id(text: str, what: str) -> str:
    text = text.strip()
    if not text or len(text) > 128:
        raise Rejected(f"{what}: must be 1 to 128 characters")
    return text


def detect(header: list[str]) -> str:
    if [h.strip() for h in header] == list(GENERIC):
        return "generic"
    if all(name in header for name in SHOPIFY_NEEDS):
        return "shopify"
    known = set(GENERIC)
    if known & set(header):
        unknown = [h for h in header if h not in known]
        missing = [h for h in GENERIC if h not in header]
        raise HistoryFileError(
            f"header: expected the columns {', '.join(GENERIC)}"
            + (f"; unknown: {', '.join(unknown)}" if unknown else "")
            + (f"; missing: {', '.join(missing)}" if missing else "")
        )
    raise HistoryFileError("header: neither winback's generic CSV nor Shopify's orders export (docs/history.md)")


def _generic(line: int, raw: dict[str, str]) -> Row | None:
    status = (raw["status"] or "").strip().lower()
    if status in NOT_PAID:
        return None
    if status not in PAID:
        raise Rejected(f"status: {status[:20]!r} is not paid, refunded, cancelled or pending")
    return Row(
        line,
        _id(raw["order_id"], "order_id"),
        _id(raw["contact_id"], "contact_id"),
        _email(raw["email"] or ""),
        _when(raw["paid_at"] or "", "paid_at"),
        _money(raw["total"] or ""),
        _currency(raw["currency"] or ""),
        status == "refunded",
    )


def _shopify(line: int, raw: dict[str, str]) -> Row | None:
    status = (raw.get("Financial Status") or "").strip().lower()
    if status in NOT_PAID:
        return None
    if status not in PAID:
        raise Rejected(f"Financial Status: {status[:20]!r} is not a Shopify financial status")
    email = _email(raw.get("Email") or "")
    if email is None:
        raise Rejected("Email: is empty (Shopify's export has no customer id: the email is the contact)")
    total = _money(raw.get("Total") or "")
    refunded_amount = (raw.get("Refunded Amount") or "").strip()
    if status == "partially_refunded" and refunded_amount:
        total = max(total - _money(refunded_amount), Decimal(0))
    return Row(
        line,
        _id(raw.get("Id") or raw["Name"], "Id"),
        email.lower(),
        email,
        _when(raw.get("Paid at") or raw.get("Created at") or "", "Paid at"),
        total,
        _currency(raw.get("Currency") or ""),
        status == "refunded",
    )


def rows(handle: IO[str], outcome: Outcome, reject: Any) -> Iterator[Row]:
    reader = csv.DictReader(handle)
    kind = detect(list(reader.fieldnames or []))
    parse = _generic if kind == "generic" else _shopify
    previous_name = None
    for raw in reader:
        line = reader.line_num
        outcome.rows += 1
        if None in raw or any(v is None for v in raw.values()):
            reject(line, "row: its number of fields does not match the header", raw)
            continue
        if kind == "shopify" and not (raw.get("Financial Status") or "").strip() and raw.get("Name") == previous_name:
            outcome.line_items += 1  # another line item of the order above
            continue
        previous_name = raw.get("Name")
        try:
            row = parse(line, raw)
        except Rejected as problem:
            reject(line, str(problem), raw)
            continue
        if row is None:
            outcome.not_paid += 1
            continue
        digest = _digest(row.order_id)
        if digest in outcome.seen:
            reject(line, f"order_id: {row.order_id} appears earlier in the file", raw)
            continue
        outcome.seen.add(digest)
        yield row


def _write(row: Row) -> bool:
    """The row's contact (if new) and purchase; False if the purchase was there already."""
    if row.email:
        try:
            ContactRecord(row.contact_id, email=row.email, updated_at=datetime(1970, 1, 1, tzinfo=UTC)).save(
                condition=ContactRecord.contact_id.does_not_exist()  # never over newer details (or consent)
            )
        except PutError as error:
            if not condition_failed(error):
                raise
    added = history.entry(row.order_id, row.paid_at, row.total, row.currency)
    try:
        CustomerRecord(row.contact_id).update(
            actions=[CustomerRecord.purchases.add({added})],
            condition=CustomerRecord.purchases.does_not_exist() | ~CustomerRecord.purchases.contains(added),
        )
        new = True
    except UpdateError as error:
        if not condition_failed(error):
            raise
        new = False
    if row.refunded:
        history.record_refund(row.contact_id, row.order_id)
    return new


def import_file(
    path: Path, rejects_path: Path | None = None, progress: IO[str] | None = None, workers: int = 1
) -> Outcome:
    """`workers` rows are written at once (DynamoDB round trips are the cost: 16 from the
    command line); the reading stays one row at a time, with at most a few hundred rows
    in flight."""
    rejects = rejects_path or path.with_suffix(path.suffix + ".rejects.csv")
    outcome = Outcome(rejects=rejects)
    started = time.monotonic()
    with (
        open(path, encoding="utf-8-sig", newline="") as handle,
        open(rejects, "w", encoding="utf-8", newline="") as out,
    ):
        writer = csv.writer(out)
        writer.writerow(["line", "reason", "row"])

        def reject(line: int, reason: str, raw: dict[str, Any]) -> None:
            outcome.rejected += 1
            writer.writerow([line, reason, ",".join(str(v) for v in raw.values() if v is not None)])

        def counted(new: bool) -> None:
            if new:
                outcome.imported += 1
            else:
                outcome.already += 1
            if progress is not None and (outcome.imported + outcome.already) % 1000 == 0:
                rate = outcome.rows / max(time.monotonic() - started, 1e-6)
                progress.write(f"\r{outcome.rows:,} rows, {outcome.rejected:,} rejected ({rate:,.0f} rows/s)")
                progress.flush()

        if workers <= 1:
            for row in rows(handle, outcome, reject):
                counted(_write(row))
        else:
            with ThreadPoolExecutor(workers) as pool:
                flying: set[Future[bool]] = set()
                for row in rows(handle, outcome, reject):
                    flying.add(pool.submit(_write, row))
                    if len(flying) >= workers * 16:
                        done, flying = wait(flying, return_when=FIRST_COMPLETED)
                        for future in done:
                            counted(future.result())
                for future in flying:
                    counted(future.result())
    if progress is not None:
        progress.write("\n")
    if outcome.imported:
        segments.mark_baseline()
    if not outcome.rejected:
        rejects.unlink()
        outcome.rejects = None
    return outcome


def summary(outcome: Outcome) -> str:
    lines = [
        f"rows read          {outcome.rows:,}",
        f"orders imported    {outcome.imported:,}",
        f"already imported   {outcome.already:,}",
        f"not paid, skipped  {outcome.not_paid:,}",
    ]
    if outcome.line_items:
        lines.append(f"line-item rows     {outcome.line_items:,} (Shopify: the order's other items)")
    lines.append(f"rejected           {outcome.rejected:,}" + (f"  ({outcome.rejects})" if outcome.rejects else ""))
    return "\n".join(lines)


def main(path: str, rejects: str | None) -> int:
    progress = sys.stderr if sys.stderr.isatty() else None
    try:
        outcome = import_file(Path(path), Path(rejects) if rejects else None, progress, workers=16)
    except (HistoryFileError, OSError) as problem:
        print(f"winback history: {path}: {problem}", file=sys.stderr)
        return 2
    print(summary(outcome))
    return 1 if outcome.rejected else 0
