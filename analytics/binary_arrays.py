"""PostgreSQL arrays in their binary wire format, built a column at a time.

The writers send each column of a batch as one array (`analytics.raw_writes`). psycopg
turns a Python list into an array in Python, element by element (`types/array.py`,
with no C version): for a worker that was a fifth of its CPU time. Here a column is
encoded with a few calls that run in C over the whole column (`array`, `struct`, slice
assignment, `bytes.join`), and handed to psycopg as bytes with the array's type
(`ArrayDumper`), which it sends as they are.

The format (PostgreSQL's `array_send`): a header — dimensions (1), a has-nulls flag, the
element type's oid, the length and the lower bound (1) — then per element its length in
bytes (-1 for NULL) and its binary value, big-endian: `int2`/`int4`/`int8`, `bool` as
one byte, `date` as days since 2000-01-01, `timestamptz` as microseconds since
2000-01-01 00:00 UTC, text as UTF-8.
"""

import datetime as dt
import struct
import sys
from array import array
from collections.abc import Sequence
from itertools import chain

from psycopg import Connection
from psycopg.adapt import Dumper
from psycopg.pq import Format

HEADER = struct.Struct(">iiIii")
LENGTH = struct.Struct(">i")
NULL = LENGTH.pack(-1)
POSTGRES_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
POSTGRES_EPOCH_ORDINAL = dt.date(2000, 1, 1).toordinal()
MICROSECOND = dt.timedelta(microseconds=1)
SWAP = sys.byteorder == "little"


class BinaryArray(bytes):
    """An encoded array; a subclass per array type carries its oid."""

    oid = 0


class ArrayDumper(Dumper):
    """Sends an encoded array as it is; a subclass per array type carries its oid."""

    format = Format.BINARY

    def dump(self, obj: BinaryArray) -> bytes:
        return obj


# element type → (element oid, array oid, encoder of a column)
def fixed(code: str, width: int):
    def encode(values: Sequence) -> bytes:
        numbers = array(code, values)
        if SWAP:
            numbers.byteswap()
        return interleave(numbers.tobytes(), width=width, count=len(values))

    return encode


def interleave(raw: bytes, *, width: int, count: int) -> bytes:
    """Each `width`-byte value of `raw` preceded by its length: slice assignments with a step, in C."""
    stride = 4 + width
    out = bytearray(stride * count)
    for position, byte in enumerate(LENGTH.pack(width)):
        out[position::stride] = bytes([byte]) * count
    for position in range(width):
        out[4 + position :: stride] = raw[position::width]
    return bytes(out)


def encode_bool(values: Sequence[bool]) -> bytes:
    return interleave(bytes(map(bool, values)), width=1, count=len(values))


def encode_date(values: Sequence[dt.date]) -> bytes:
    return fixed("i", 4)([value.toordinal() - POSTGRES_EPOCH_ORDINAL for value in values])


def encode_timestamptz(values: Sequence[dt.datetime]) -> bytes:
    """Aware datetimes only: a naive one raises (subtracting it from an aware epoch), as its zone is unknown."""
    return fixed("q", 8)([(value - POSTGRES_EPOCH) // MICROSECOND for value in values])


def encode_text(values: Sequence[str | None]) -> bytes:
    if None in values:
        return b"".join(NULL if value is None else LENGTH.pack(len(data := value.encode())) + data for value in values)
    encoded = list(map(str.encode, values))
    return b"".join(chain.from_iterable(zip(map(LENGTH.pack, map(len, encoded)), encoded, strict=True)))


ELEMENTS = {
    "smallint": (21, 1005, fixed("h", 2)),
    "integer": (23, 1007, fixed("i", 4)),
    "bigint": (20, 1016, fixed("q", 8)),
    "boolean": (16, 1000, encode_bool),
    "date": (1082, 1182, encode_date),
    "timestamp with time zone": (1184, 1185, encode_timestamptz),
    "varchar": (1043, 1015, encode_text),
    "text": (25, 1009, encode_text),
}
ARRAY_TYPES = {
    element: type(f"{element.title().replace(' ', '')}Array", (BinaryArray,), {"oid": array_oid})
    for element, (_, array_oid, _) in ELEMENTS.items()
}


def element_type(db_type: str) -> str:
    """The element type of a column's `db_type`: `varchar(2000)` is a `varchar` (the statement's cast cuts it)."""
    return db_type.split("(", 1)[0]


def binary_array(values: Sequence, *, db_type: str) -> BinaryArray:
    """`values` as a one-dimensional array of the column type `db_type` (as Django's `Field.db_type` names it)."""
    element = element_type(db_type)
    element_oid, _, encode = ELEMENTS[element]
    has_null = element in ("varchar", "text") and None in values
    return ARRAY_TYPES[element](HEADER.pack(1, has_null, element_oid, len(values), 1) + encode(values))


DUMPERS = {
    array_type: type(f"{array_type.__name__}Dumper", (ArrayDumper,), {"oid": array_type.oid})
    for array_type in ARRAY_TYPES.values()
}


def register(connection: Connection) -> None:
    """Let psycopg send `BinaryArray`s on this connection (its adapters are its own copy)."""
    for array_type, dumper in DUMPERS.items():
        connection.adapters.register_dumper(array_type, dumper)
