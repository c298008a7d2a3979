"""Decrypting every payload in a history (for auditors only), by walking its protobuf tree."""

from __future__ import annotations

import json

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.api.history.v1 import History
from temporalio.converter import PayloadCodec

from safeguard.codec import is_encrypted
from safeguard.police_only import without_police_only

_PAYLOAD = Payload.DESCRIPTOR.full_name
_JSON = b"json/plain"


async def decoded_history(
    history: History, codec: PayloadCodec, *, police_only: bool = True
) -> History:
    """A copy of `history` with every encrypted payload decrypted by `codec`, and without
    police-only fields unless `police_only` (replay needs them; most readers may not see them).

    Search attributes and headers are never encrypted (the codec does not see them) and are
    left as they are; the codec refuses plain payloads, which is right for a worker only.
    """
    copy = History()
    copy.CopyFrom(history)
    await _decode_in_place(copy, codec, police_only)
    return copy


def _withhold_police_only(payload: Payload) -> None:
    """Drop police-only fields from a decoded JSON payload, wherever they sit in it."""
    if payload.metadata.get("encoding") != _JSON:
        return
    kept, dropped = without_police_only(json.loads(payload.data))
    if dropped:
        payload.data = json.dumps(kept, separators=(",", ":")).encode()


async def _decode_in_place(message: Message, codec: PayloadCodec, police_only: bool) -> None:
    for field, value in message.ListFields():
        kind = field.message_type
        if field.type != FieldDescriptor.TYPE_MESSAGE or kind is None:
            continue
        if kind.GetOptions().map_entry:
            if kind.fields_by_name["value"].type != FieldDescriptor.TYPE_MESSAGE:
                continue
            values = list(value.values())
        elif field.is_repeated:
            values = list(value)
        else:
            values = [value]
        for item in values:
            if item.DESCRIPTOR.full_name == _PAYLOAD:
                if is_encrypted(item):
                    item.CopyFrom((await codec.decode([item]))[0])
                if not police_only:
                    _withhold_police_only(item)
            else:
                await _decode_in_place(item, codec, police_only)
