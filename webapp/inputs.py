"""Reading untrusted input: integers from URLs, query strings and JSON; JSON text; Socket.IO
packets.

One parser per kind, used by every route, so each refuses the same bad values the same way
(a 4xx naming the value, never a 500):

* integers are ASCII digits (``int()`` also reads "٣" as 3 and answers "²" in its own words)
  within SQL's BIGINT range, which both databases can bind and compare: 2**63 and more would
  raise OverflowError in the driver;
* JSON is nested at most ``MAX_JSON_DEPTH`` deep (Python's parser would raise RecursionError
  on 50,000 brackets, and anything that walks a deep value later would too).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from flask.json.provider import DefaultJSONProvider
from socketio import packet
from werkzeug.routing import IntegerConverter

#: The largest integer SQL's BIGINT holds: every id, cursor and count Beacon reads fits.
MAX_INT = 2**63 - 1
MAX_JSON_DEPTH = 64

_INTEGER = re.compile(r"-?[0-9]{1,19}")


def parse_int(value: Any, name: str, *, minimum: int = 1, maximum: int = MAX_INT) -> int:
    """An integer written in ASCII digits (or a JSON integer), from ``minimum`` to
    ``maximum``; ``ValueError`` naming ``name`` and the value otherwise."""
    if isinstance(value, str):
        text = value.strip()
        number = int(text) if _INTEGER.fullmatch(text) else None
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        number = None
    if number is None:
        raise ValueError(f"{name} must be a whole number, got {value!r:.40}")
    if not minimum <= number <= maximum:
        raise ValueError(f"{name} must be from {minimum} to {maximum}, got {number}")
    return number


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


def parse_bool(value: Any, name: str) -> bool:
    """A JSON boolean, or 1/0, true/false, yes/no, on/off (any case; empty is false);
    ``ValueError`` naming ``name`` and the value otherwise."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError(f"{name} must be true or false (1/0, yes/no), got {value!r:.40}")


class IdConverter(IntegerConverter):
    """``<int:...>`` in every URL rule: ASCII digits from 1 to ``MAX_INT``; anything else does
    not match the rule (404)."""

    regex = r"[0-9]{1,19}"

    def __init__(
        self,
        map: Any,
        fixed_digits: int = 0,
        min: int = 1,
        max: int = MAX_INT,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def check_depth(value: Any, limit: int = MAX_JSON_DEPTH) -> Any:
    """``value`` itself if no list or object in it is nested deeper than ``limit``; else
    ``ValueError``. Iterative: a deep value cannot exhaust the stack here."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children: Iterable[Any]
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            raise ValueError(f"JSON is nested more than {limit} deep")
        stack.extend((child, depth + 1) for child in children)
    return value


def loads_json(text: str | bytes, **kwargs: Any) -> Any:
    """``json.loads`` for untrusted text: ``ValueError`` for nesting past ``MAX_JSON_DEPTH``."""
    try:
        value = json.loads(text, **kwargs)
    except RecursionError:
        raise ValueError(f"JSON is nested more than {MAX_JSON_DEPTH} deep") from None
    return check_depth(value)


class BoundedJSONProvider(DefaultJSONProvider):
    """The app's JSON: request bodies (``request.get_json``) are read with ``loads_json``, so a
    body nested too deeply is a 400 like any other malformed JSON."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads_json(s, **kwargs)


#: The event a Socket.IO packet that cannot be read becomes (see ``SocketPacket``).
MALFORMED_EVENT = "malformed"
_EVENTS = (packet.EVENT, packet.BINARY_EVENT)
_ACKS = (packet.ACK, packet.BINARY_ACK)


class SocketPacket(packet.Packet):
    """Socket.IO packets read like every other input (JSON within ``MAX_JSON_DEPTH``, the
    shape each packet type needs). One that cannot be read becomes the event ``malformed``,
    with the reason, on the namespace it named: the namespace answers it with an ``error``
    event, where python-socketio would log a traceback and answer nothing. A connection
    request whose auth cannot be read keeps the reason as its auth, which the connect handler
    refuses as it refuses any bad auth."""

    data: Any
    packet_type: int
    id: int | None

    def decode(self, encoded_packet: Any) -> int:
        try:
            attachments = super().decode(encoded_packet)
            check_depth(self.data)
            self._check_shape()
            return attachments
        except (ValueError, TypeError, RecursionError) as exc:
            reason = f"malformed packet: {exc}"[:200]
            if self.packet_type == packet.CONNECT:
                self.data = reason
            else:
                self.packet_type, self.id, self.data = packet.EVENT, None, [MALFORMED_EVENT, reason]
            return 0

    def _check_shape(self) -> None:
        if self.packet_type in _EVENTS:
            if not (isinstance(self.data, list) and self.data and isinstance(self.data[0], str)):
                raise ValueError("an event is a list: its name, then its arguments")
        elif self.packet_type in _ACKS:
            if not isinstance(self.data, list):
                raise ValueError("an acknowledgement is a list of values")
        elif self.packet_type not in (packet.CONNECT, packet.DISCONNECT):
            raise ValueError(f"a client does not send packets of type {self.packet_type!r:.20}")
