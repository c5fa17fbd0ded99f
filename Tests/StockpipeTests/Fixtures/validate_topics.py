"""Validates records read from the pipeline's topics by `kcat -J` against the published JSON Schemas,
with the `jsonschema` package (Draft 2020-12), independently of stockpipe's own code.

    python3 validate_topics.py SCHEMA_DIR staging.ndjson stock_data.ndjson bad_stock_data.ndjson

Prints a JSON summary; exits 1 when a record breaks its schema or its headers."""
import json
import sys

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

schema_dir, files = sys.argv[1], dict(zip(["staging", "stock_data", "bad_stock_data"], sys.argv[2:5]))
documents = {topic: json.load(open(f"{schema_dir}/{topic}.schema.json")) for topic in files}
registry = Registry().with_resources((doc["$id"], Resource.from_contents(doc)) for doc in documents.values())
for doc in documents.values():
    Draft202012Validator.check_schema(doc)
whole = {topic: Draft202012Validator(doc, registry=registry) for topic, doc in documents.items()}


def part(topic, name):
    return Draft202012Validator({"$ref": documents[topic]["$id"] + "#/$defs/" + name}, registry=registry)


errors, summary = [], {}
for topic, path in files.items():
    counts = {"records": 0, "kinds": {}, "reasons": {}}
    for line in open(path, encoding="utf-8"):
        if not line.strip():
            continue
        envelope = json.loads(line)
        counts["records"] += 1
        pairs = envelope.get("headers") or []
        headers = dict(zip(pairs[0::2], pairs[1::2]))
        where = f"{topic} {envelope['partition']}/{envelope['offset']}"
        if headers.get("schema") != f"{topic}/1.0":
            errors.append(f"{where}: schema header {headers.get('schema')!r}")
        kind = headers.get("kind")
        counts["kinds"][kind] = counts["kinds"].get(kind, 0) + 1
        if topic == "staging" and kind == "raw":
            continue  # bytes as received: outside the schema, by its own description
        try:
            value = json.loads(envelope["payload"])
        except ValueError as error:
            errors.append(f"{where}: not JSON ({error}): {envelope['payload'][:120]}")
            continue
        problems = [e.message for e in whole[topic].iter_errors(value)]
        if topic in ("staging", "stock_data"):
            if kind not in ("trade", "quote"):
                problems.append(f"kind header {kind!r}")
            else:
                problems += [e.message for e in part(topic, kind).iter_errors(value)]
        if topic == "bad_stock_data":
            if headers.get("reasons") != ",".join(value.get("reasons", [])):
                problems.append(f"reasons header {headers.get('reasons')!r} is not the record's {value.get('reasons')}")
            for reason in value.get("reasons", []):
                counts["reasons"][reason] = counts["reasons"].get(reason, 0) + 1
        if problems:
            errors.append(f"{where}: {problems[:3]}: {envelope['payload'][:160]}")
    summary[topic] = counts

# The validator is not vacuous: a trade with its price as text, or a quarantine record without
# reasons, breaks the schemas.
controls = [
    ("stock_data", {"symbol": "AAPL", "price": "187.5", "volume": 1, "timestamp": 1, "conditions": [], "id": "0" * 32}),
    ("stock_data", {"symbol": "AAPL", "price": 187.5, "volume": 1, "timestamp": 1, "conditions": [], "id": "XYZ"}),
    ("bad_stock_data", {"reasons": [], "payload": "x", "origin": {"topic": "staging", "partition": 0, "offset": 0, "source": "s"}, "quarantinedAt": 1}),
]
summary["controlsRejected"] = sum(1 for topic, value in controls if list(whole[topic].iter_errors(value)))
summary["errors"] = errors[:20]
print(json.dumps(summary, sort_keys=True))
sys.exit(1 if errors else 0)
