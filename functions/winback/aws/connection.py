"""One DynamoDB client for every table.

pynamodb gives every table its own botocore session and client, so a handler's first
call on each table loads the service models again: about 80 ms and 6 MB a table (the
first calls on six tables took 759 ms, 245 ms with one client; measured on moto). Every
winback table has the same region, endpoint and settings (no model sets its own), so one
client per region and endpoint serves them all.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from pynamodb.connection.base import Connection

_make_client = Connection.client.fget  # type: ignore[attr-defined]
_clients: dict[tuple[str | None, str | None], Any] = {}
_lock = threading.Lock()


def _one_client(connection: Connection) -> Any:
    """The client for the connection's region and endpoint, made once (and again if it
    holds no credentials: pynamodb's guard against botocore caching empty ones)."""
    region = connection.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    key = (region, connection.host)
    client = _clients.get(key)
    if client is None or (client._request_signer and not client._request_signer._credentials):
        with _lock:  # botocore creates clients unsafely across threads (the history import's writers)
            if _clients.get(key) is client:  # no other thread made it meanwhile
                connection._client = None
                _clients[key] = _make_client(connection)
            client = _clients[key]
    return client


def one_client_for_every_table() -> None:
    Connection.client = property(_one_client)  # type: ignore[method-assign,assignment]
