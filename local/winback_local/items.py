"""moto's DynamoDB items, holding one copy of each attribute name, type tag and short value.

moto keeps an item as a dict of attribute name to `DynamoType` (type tag and value),
both read from the request's JSON. JSON decoding shares a string only within one
request, so every order, contact and send record kept its own copies of the same
twenty-odd names ("campaign_id", "expires_at"...), of tags such as "BOOL", and of the
same short values ("EUR", "UTC", a campaign id, a date): about 7 KB an order over a
3,000-order replay, for equal strings.

`install()` makes moto take each name (of an item or of a map inside one), each tag and
each string value of 40 characters or fewer from one table for the run, so that equal
strings are one object. Longer values (addresses, JSON documents) are left as read:
they rarely repeat. Nothing else changes: the same attributes, the same values, the
same size checks. Returns the undo, which empties the table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from winback_local import patching

SHORT = 40  # characters: values this long or shorter are shared


def install() -> Callable[[], None]:
    from moto.dynamodb.models import dynamo_type

    shared: dict[str, str] = {}  # a string -> the one copy of it items hold
    one = shared.setdefault
    setitem = dynamo_type.LimitedSizeDict.__setitem__
    init = dynamo_type.DynamoType.__init__

    def limited_setitem(self: dynamo_type.LimitedSizeDict, key: str, value: Any) -> None:
        setitem(self, one(key, key), value)

    def dynamo_type_init(self: Any, type_as_dict: Any) -> None:
        init(self, type_as_dict)
        self.type = one(self.type, self.type)
        if type(self.value) is str and len(self.value) <= SHORT:
            self.value = one(self.value, self.value)
        elif type(self.value) is dict:  # a map: its keys are names too
            self.value = {one(k, k): v for k, v in self.value.items()}

    undo = patching.apply(
        [
            (dynamo_type.LimitedSizeDict, "__setitem__", limited_setitem),
            (dynamo_type.DynamoType, "__init__", dynamo_type_init),
        ]
    )

    def uninstall() -> None:
        undo()
        shared.clear()

    return uninstall
