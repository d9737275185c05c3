"""moto's DynamoDB Query, read from the partition it asks for; its Scan, sorted cheaply.

moto answers every Query, on a table or on an index, by sorting the whole table and
then keeping the items whose key matches: each query costs as much as the table is
big, so a simulation slows down as its tables fill (the attribution at each payment
queries the send ledger by contact; the order-events consumer reads an order's
partition). DynamoDB reads one partition.

Here a table query starts from its partition (`Table.items[hash]`), and a global index
query from the items whose index key holds the value asked for, kept in a map per index
as items are written. moto's own query then runs unchanged on those items: key and
range conditions, sort, filter, pages, projection. The map only ever holds a superset:
each item is noted when it is put or updated, and at query time an entry is used only
while it is still the table's item and still holds the value (an update that changes
or removes the key, a delete or an overwrite leaves a stale entry, dropped then).

A Scan reads the table in key order, as moto's does, but sorts it by each item's key
values read once: moto compares its key objects, which convert both values at each of
a sort's n log n comparisons (a number key to a Decimal each time), and sorts the whole
table again for every page of every segment of a parallel scan.

`install()` returns the undo function. With `check=True` every query is also answered
by moto's full-table read, and every scan's order is compared with moto's; a difference
is noted in `mismatches`, and moto's answer is the one returned.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from winback_local import patching

mismatches: list[str] = []
answered: Counter[str] = Counter()  # queries answered, by where from: "partition", "index", "whole table"

INDEX = "_winback_index"  # Table attribute: {index name: {key value: {(hash, range): Item}}}


def _hash_attribute(index: Any) -> str | None:
    hashes = [key["AttributeName"] for key in index.schema if key["KeyType"] == "HASH"]
    return hashes[0] if hashes else None


def _index(table: Any) -> dict[str, dict[Any, dict[Any, Any]]]:
    """The table's map per global index, made from its items the first time it is asked for."""
    found: dict[str, dict[Any, dict[Any, Any]]] | None = table.__dict__.get(INDEX)
    if found is None:
        made: dict[str, dict[Any, dict[Any, Any]]] = {index.name: {} for index in table.global_indexes or []}
        table.__dict__[INDEX] = found = made
        for item in _items(table):
            _note(table, item)
    return found


def _items(table: Any) -> list[Any]:
    if table.range_key_attr:
        return [item for partition in table.items.values() for item in partition.values()]
    return list(table.items.values())


def _note(table: Any, item: Any) -> None:
    found = table.__dict__.get(INDEX)
    if found is None:  # not asked for yet: it is made from the items when it is
        return
    for index in table.global_indexes or []:
        value = item.attrs.get(_hash_attribute(index))
        if value is not None:
            found[index.name].setdefault(value, {})[(item.hash_key, item.range_key)] = item


def _current(table: Any, item: Any) -> bool:
    partition = table.items.get(item.hash_key)
    if table.range_key_attr:
        return partition is not None and partition.get(item.range_key) is item
    return partition is item


def _candidates(table: Any, hash_key: Any, index_name: str | None, conditions: Any) -> list[Any] | None:
    """A superset of the items the query can answer with, or None to let moto read them all."""
    if index_name is None:
        partition = table.items.get(hash_key)
        if partition is None:
            return []
        return list(partition.values()) if table.range_key_attr else [partition]
    index = next((i for i in table.global_indexes or [] if i.name == index_name), None)
    attribute = _hash_attribute(index) if index is not None else None
    value = next((v for name, v in conditions or [] if name == attribute), None)
    if index is None or value is None:
        return None  # a local index or an unexpected key: moto's own way
    entries = _index(table)[index_name].get(value)
    if not entries:
        return []
    for key, item in list(entries.items()):
        held = item.attrs.get(attribute)  # None once an update removed it: out of a sparse index
        if held is None or held != value or not _current(table, item):
            del entries[key]
    return list(entries.values())


def install(check: bool = False) -> Callable[[], None]:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    query, put_item, update_item = Table.query, Table.put_item, DynamoDBBackend.update_item
    all_items = Table.all_items

    def partition_query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        candidates = _candidates(self, hash_key, index_name, kwargs.get("hash_key_conditions"))
        answered["whole table" if candidates is None else "index" if index_name else "partition"] += 1
        if candidates is None:
            return query(self, hash_key, *args, **kwargs)
        self.all_items = lambda: candidates  # what moto's query reads the table through
        try:
            answer = query(self, hash_key, *args, **kwargs)
        finally:
            del self.all_items
        if check:
            full = query(self, hash_key, *args, **kwargs)
            if _plain(full) != _plain(answer):
                mismatches.append(f"{self.name} {index_name or ''}: {_plain(answer)} != {_plain(full)}")
                return full
        return answer

    def noting_put_item(self: Any, *args: Any, **kwargs: Any) -> Any:
        item = put_item(self, *args, **kwargs)
        _note(self, item)
        return item

    def noting_update_item(self: Any, table_name: str, *args: Any, **kwargs: Any) -> Any:
        item = update_item(self, table_name, *args, **kwargs)
        _note(self.get_table(table_name), item)
        return item

    def in_key_order(self: Any) -> list[Any]:
        items = _items(self)
        if self.range_key_attr:
            items.sort(key=lambda item: (item.hash_key.cast_value, item.range_key.cast_value))
        else:
            items.sort(key=lambda item: item.hash_key.cast_value)
        if check:
            theirs = all_items(self)
            if [id(item) for item in items] != [id(item) for item in theirs]:
                ours, moto_s = ([item.to_json() for item in found] for found in (items, theirs))
                mismatches.append(f"{self.name} scan: {ours} != {moto_s}")
                return theirs
        return items

    return patching.apply(
        [
            (Table, "query", partition_query),
            (Table, "all_items", in_key_order),
            (Table, "put_item", noting_put_item),
            (DynamoDBBackend, "update_item", noting_update_item),
        ]
    )


def _plain(answer: Any) -> Any:
    items, scanned, last_key = answer
    return [item.to_json() for item in items], scanned, last_key
