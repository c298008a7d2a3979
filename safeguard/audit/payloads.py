"""Decrypting every payload in a history (for auditors only), by walking its protobuf tree."""

from __future__ import annotations

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.api.history.v1 import History
from temporalio.converter import PayloadCodec

from safeguard.codec import is_encrypted

_PAYLOAD = Payload.DESCRIPTOR.full_name


async def decoded_history(history: History, codec: PayloadCodec) -> History:
    """A copy of `history` with every encrypted payload decrypted by `codec`.

    Search attributes and headers are never encrypted (the codec does not see them) and are
    left as they are; the codec refuses plain payloads, which is right for a worker only.
    """
    copy = History()
    copy.CopyFrom(history)
    await _decode_in_place(copy, codec)
    return copy


async def _decode_in_place(message: Message, codec: PayloadCodec) -> None:
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
            else:
                await _decode_in_place(item, codec)
