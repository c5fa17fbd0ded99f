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
