#!/usr/bin/env python3
"""Golden CQL frames from the DataStax Python driver (pip install cassandra-driver==3.30.1), an
encoder independent of ours. Writes Tests/StockpipeTests/Fixtures/cql-requests.json; the Swift
tests encode the same requests and compare byte for byte.

The driver writes a flags byte after the consistency of a v1 QUERY, which protocol v1 does not
have (spec v1, section 4.1.4: <query><consistency>); v1 QUERY frames are therefore left out.
"""
import binascii, json, os, uuid
from cassandra import ConsistencyLevel as CL
from cassandra.cqltypes import (BooleanType, BytesType, DateType, DoubleType, FloatType, Int32Type, ListType,
                                LongType, UTF8Type, UUIDType)
from cassandra.protocol import (AuthResponseMessage, BatchMessage, CredentialsMessage, ExecuteMessage, OptionsMessage,
                                PrepareMessage, ProtocolHandler, QueryMessage, StartupMessage)
from cassandra.query import BatchType

TEXT_LIST = ListType.apply_parameters([UTF8Type])
UUID = uuid.UUID("0f8fad5b-d9cb-469f-a165-70867728950e")


def every_value(version):
    return [UTF8Type.serialize("AAPL", version), Int32Type.serialize(-7, version), LongType.serialize(1732480000123, version),
            FloatType.serialize(1.5, version), DoubleType.serialize(187.51, version), BooleanType.serialize(True, version),
            LongType.serialize(1732480000123, version), UUIDType.serialize(UUID, version), BytesType.serialize(b"\x00\xff", version),
            TEXT_LIST.serialize(["1", "12"], version), None]


def cases():
    for v in (1, 2, 3, 4):
        yield "startup", v, 1, StartupMessage(cqlversion="3.0.0", options={})
        yield "options", v, 0, OptionsMessage()
        yield "prepare", v, 3, PrepareMessage("INSERT INTO t (a) VALUES (?)")
        yield "execute-int-null", v, 9, ExecuteMessage(b"\x01\x02", [Int32Type.serialize(7, v), None], CL.ONE)
        yield "execute-every-type", v, 100, ExecuteMessage(b"\xab\xcd\xef", every_value(v), CL.LOCAL_QUORUM)
    for v in (2, 3, 4):
        yield "query", v, 5, QueryMessage("SELECT * FROM t", CL.LOCAL_QUORUM)
        yield "query-paged", v, 6, QueryMessage("SELECT * FROM t", CL.QUORUM, fetch_size=5000, paging_state=b"\x01\x02\x03")
        yield "batch-unlogged", v, 2, BatchMessage(BatchType.UNLOGGED, [
            (False, "INSERT INTO t (a) VALUES (?)", [Int32Type.serialize(1, v)]), (True, b"\x0a\x0b", [None])], CL.LOCAL_QUORUM)
        yield "auth-response", v, 4, AuthResponseMessage(b"\x00user\x00pass")
    yield "credentials", 1, 4, CredentialsMessage({"username": "user", "password": "pass"})


frames = [{"name": name, "version": v, "stream": stream,
           "hex": binascii.hexlify(ProtocolHandler.encode_message(message, stream, v, None, False)).decode()}
          for name, v, stream, message in cases()]
target = os.path.join(os.path.dirname(__file__), "..", "Tests", "StockpipeTests", "Fixtures", "cql-requests.json")
with open(target, "w") as out:
    json.dump(frames, out, indent=1)
    out.write("\n")
print(f"{len(frames)} frames written to {os.path.normpath(target)}")

# ---- responses: built with the driver's own writers and type serialisers, then decoded by the
# driver to be sure they are what a server would send; the Swift tests decode them.
import io
from cassandra.protocol import write_int, write_short, write_string, write_stringmultimap, write_value

VARCHAR, TIMESTAMP, DOUBLE, LIST = 0x000D, 0x000B, 0x0007, 0x0020


def response(name, version, stream, opcode, write_body):
    body = io.BytesIO()
    write_body(body)
    data = body.getvalue()
    header = bytes([0x80 | version, 0]) + (stream.to_bytes(2, "big", signed=True) if version >= 3 else
                                           stream.to_bytes(1, "big", signed=True)) + bytes([opcode]) + len(data).to_bytes(4, "big")
    try:
        ProtocolHandler.decode_message(version, None, stream, 0, opcode, data, None, None)  # raises if malformed
    except Exception as problem:
        raise SystemExit(f"the driver cannot decode {name} v{version}: {problem!r}")
    return binascii.hexlify(header + data).decode()


def trade_columns(f, version, global_spec=True):
    write_string(f, "stock_data"); write_string(f, "trades")
    for name, kind in (("symbol", VARCHAR), ("ts", TIMESTAMP), ("price", DOUBLE)):
        write_string(f, name); write_short(f, kind)
    write_string(f, "conditions"); write_short(f, LIST); write_short(f, VARCHAR)


def rows(version, paging):
    def body(f):
        write_int(f, 2)  # Rows
        write_int(f, 0x0001 | (0x0002 if paging else 0)); write_int(f, 4)
        if paging: write_value(f, b"\x07\x08")
        trade_columns(f, version)
        write_int(f, 2)
        for symbol, ts, price, conditions in (("AAPL", 1732480000123, 187.51, ["1", "12"]), ("MSFT", 1732480000456, 421.5, None)):
            write_value(f, UTF8Type.serialize(symbol, version)); write_value(f, DateType.serialize(ts, version))
            write_value(f, DoubleType.serialize(price, version))
            write_value(f, None if conditions is None else TEXT_LIST.serialize(conditions, version))
    return body


def prepared(version):
    def body(f):
        write_int(f, 4); write_short(f, 3); f.write(b"\x0a\x0b\x0c")  # [short bytes]
        write_int(f, 0x0001); write_int(f, 2)
        if version >= 4:
            write_int(f, 1); write_short(f, 0)
        write_string(f, "stock_data"); write_string(f, "trades")
        write_string(f, "symbol"); write_short(f, VARCHAR); write_string(f, "ts"); write_short(f, TIMESTAMP)
        if version >= 2:
            write_int(f, 0x0004); write_int(f, 0)
    return body


def error(code, message, extra=lambda f: None):
    def body(f):
        write_int(f, code); write_string(f, message); extra(f)
    return body


def schema_change(version):
    def body(f):
        write_int(f, 5); write_string(f, "CREATED")
        if version >= 3: write_string(f, "TABLE")
        write_string(f, "stock_data"); write_string(f, "trades")
    return body


responses = [
    ("ready", 4, 1, 0x02, lambda f: None),
    ("supported", 4, 0, 0x06, lambda f: write_stringmultimap(f, {"CQL_VERSION": ["3.4.5"], "COMPRESSION": ["lz4", "snappy"]})),
    ("authenticate", 4, 1, 0x03, lambda f: write_string(f, "org.apache.cassandra.auth.PasswordAuthenticator")),
    ("error-protocol", 1, 1, 0x00, error(0x000A, "Invalid or unsupported protocol version: 4")),
    ("error-unavailable", 4, 7, 0x00, error(0x1000, "Cannot achieve consistency level LOCAL_QUORUM",
                                             lambda f: (write_short(f, 6), write_int(f, 2), write_int(f, 1)))),
    ("error-write-timeout", 4, 7, 0x00, error(0x1100, "Operation timed out",
                                               lambda f: (write_short(f, 6), write_int(f, 1), write_int(f, 2), write_string(f, "BATCH")))),
    ("error-syntax", 4, 7, 0x00, error(0x2000, "line 1:0 no viable alternative at input 'SELEC'")),
    ("result-void", 4, 3, 0x08, lambda f: write_int(f, 1)),
    ("result-set-keyspace", 4, 3, 0x08, lambda f: (write_int(f, 3), write_string(f, "stock_data"))),
    ("result-rows", 4, 3, 0x08, rows(4, True)),
    ("result-rows", 3, 3, 0x08, rows(3, False)),
    ("result-rows", 1, 3, 0x08, rows(1, False)),
    ("result-prepared", 4, 3, 0x08, prepared(4)),
    ("result-prepared", 2, 3, 0x08, prepared(2)),
    ("result-prepared", 1, 3, 0x08, prepared(1)),
    ("result-schema-change", 4, 3, 0x08, schema_change(4)),
    ("result-schema-change", 1, 3, 0x08, schema_change(1)),
]
answers = [{"name": name, "version": v, "stream": stream, "hex": response(name, v, stream, opcode, body)}
           for name, v, stream, opcode, body in responses]
target = os.path.join(os.path.dirname(__file__), "..", "Tests", "StockpipeTests", "Fixtures", "cql-responses.json")
with open(target, "w") as out:
    json.dump(answers, out, indent=1)
    out.write("\n")
print(f"{len(answers)} responses written to {os.path.normpath(target)}")
