"""The outbox keeps sent messages on disk and gives each back as it was sent."""

from __future__ import annotations

from winback_local.outbox import Outbox


def test_messages_come_back_in_order_and_byte_for_byte() -> None:
    box = Outbox()
    sent = [b"From: a\r\n\r\nfirst", b"", "Subject: caf\u00e9\r\n\r\n\u20ac".encode(), b"x" * 100_000]
    for raw in sent:
        box.append(raw)

    assert len(box) == 4
    assert list(box) == sent
    assert box[-1] == sent[-1] and box[1:3] == sent[1:3]
    assert box == sent and box != sent[:3] and box != [b"other"] * 4
    assert Outbox() == []
    assert b"" in box and b"never sent" not in box
