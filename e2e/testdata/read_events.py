#!/usr/bin/env python3
"""Reads Avro records from a Kafka topic the way a non-Go consumer would and
prints one JSON object per record:

  {"partition": 0, "offset": 3, "key": "...", "headers": {...},
   "framing": "confluent" | "single-object", "schemaId": 7 | "fingerprint": "...", "schemaFingerprint": "...",
   "decoder": "AvroDeserializer" | "fastavro+registry-http" | "fastavro",
   "value": {...}}

Two ways to find the writer's schema:
  --registry URL   Confluent wire format (magic 0 + schema id); values are
                   decoded by confluent_kafka's AvroDeserializer with a
                   SchemaRegistryClient on URL (or, when the client's
                   schema-registry extras are not installed, by fastavro with
                   the schema fetched from URL/schemas/ids/<id>).
  --schema FILE    Avro single-object encoding (0xC3 0x01 + CRC-64-AVRO
                   fingerprint, little endian); the body is read with
                   fastavro's schemaless_reader and FILE. Each record carries
                   the fingerprint of its header and, as schemaFingerprint,
                   the one fastavro computes for FILE: they should be equal.

Reads with isolation.level=read_committed from the start of every partition
(assigned, no consumer group) until --count records or --timeout seconds;
exits 1 when fewer arrived.
"""
import argparse
import datetime
import io
import json
import sys
import time

from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING


def jsonable(v):
    if isinstance(v, (datetime.datetime, datetime.date)):
        return v.isoformat()
    if isinstance(v, (bytes, bytearray)):
        return v.hex()
    if isinstance(v, dict):
        return {k: jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    return v


def registry_decoder(url):
    """Decodes the Confluent wire format with confluent_kafka's
    AvroDeserializer; without its extras (confluent-kafka[schemaregistry]:
    authlib, httpx, cachetools) with fastavro and the writer's schema fetched
    by id from the registry's Confluent API. Each record says which."""
    try:
        from confluent_kafka.schema_registry import SchemaRegistryClient
        from confluent_kafka.schema_registry.avro import AvroDeserializer
        from confluent_kafka.serialization import SerializationContext, MessageField
    except ImportError as e:
        print("read_events: confluent_kafka.schema_registry unavailable (%s); "
              "falling back to fastavro with the schema fetched by id" % e, file=sys.stderr)
        return registry_fallback_decoder(url)

    deser = AvroDeserializer(SchemaRegistryClient({"url": url}))

    def decode(msg):
        raw = confluent_framed(msg)
        value = deser(raw, SerializationContext(msg.topic(), MessageField.VALUE))
        return {"framing": "confluent", "schemaId": int.from_bytes(raw[1:5], "big"),
                "decoder": "AvroDeserializer", "value": value}

    return decode


def registry_fallback_decoder(url):
    import urllib.request
    from fastavro import parse_schema, schemaless_reader

    schemas = {}

    def schema(schema_id):
        if schema_id not in schemas:
            with urllib.request.urlopen("%s/schemas/ids/%d" % (url.rstrip("/"), schema_id), timeout=10) as r:
                schemas[schema_id] = parse_schema(json.loads(json.load(r)["schema"]))
        return schemas[schema_id]

    def decode(msg):
        raw = confluent_framed(msg)
        schema_id = int.from_bytes(raw[1:5], "big")
        value = schemaless_reader(io.BytesIO(raw[5:]), schema(schema_id))
        return {"framing": "confluent", "schemaId": schema_id, "decoder": "fastavro+registry-http", "value": value}

    return decode


def confluent_framed(msg):
    raw = msg.value()
    if len(raw) < 5 or raw[0] != 0:
        raise ValueError("not in the Confluent wire format: first bytes %s" % raw[:5].hex())
    return raw


def single_object_decoder(schema_file):
    from fastavro import parse_schema, schemaless_reader
    from fastavro.schema import fingerprint, to_parsing_canonical_form

    with open(schema_file) as f:
        schema = parse_schema(json.load(f))
    # fastavro gives the fingerprint as the hex of its 8 bytes in the order
    # single-object encoding writes them (little-endian); compare bytes.
    want = fingerprint(to_parsing_canonical_form(schema), "CRC-64-AVRO")

    def decode(msg):
        raw = msg.value()
        if len(raw) < 10 or raw[0:2] != b"\xc3\x01":
            raise ValueError("not Avro single-object encoded: first bytes %s" % raw[:10].hex())
        got = raw[2:10].hex()
        value = schemaless_reader(io.BytesIO(raw[10:]), schema)
        return {"framing": "single-object", "fingerprint": got, "schemaFingerprint": want,
                "decoder": "fastavro", "value": value}

    return decode


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--timeout", type=float, default=30)
    how = ap.add_mutually_exclusive_group(required=True)
    how.add_argument("--registry")
    how.add_argument("--schema")
    args = ap.parse_args()

    decode = registry_decoder(args.registry) if args.registry else single_object_decoder(args.schema)
    consumer = Consumer({
        "bootstrap.servers": args.bootstrap,
        "group.id": "e2e-read-events",  # required by the client; no offsets are committed
        "enable.auto.commit": False,
        "isolation.level": "read_committed",
    })
    meta = consumer.list_topics(args.topic, timeout=10)
    t = meta.topics.get(args.topic)
    if t is None or t.error is not None:
        sys.exit("topic %s: %s" % (args.topic, t.error if t else "missing"))
    consumer.assign([TopicPartition(args.topic, p, OFFSET_BEGINNING) for p in sorted(t.partitions)])

    n, deadline = 0, time.monotonic() + args.timeout
    while n < args.count and time.monotonic() < deadline:
        msg = consumer.poll(0.5)
        if msg is None:
            continue
        if msg.error():
            sys.exit("consume: %s" % msg.error())
        out = {
            "partition": msg.partition(),
            "offset": msg.offset(),
            "key": msg.key().decode() if msg.key() is not None else None,
            "headers": {k: (v.decode() if v is not None else None) for k, v in (msg.headers() or [])},
        }
        out.update(decode(msg))
        print(json.dumps(jsonable(out)), flush=True)
        n += 1
    consumer.close()
    if n < args.count:
        sys.exit("read %d of %d records from %s within %.0fs" % (n, args.count, args.topic, args.timeout))


if __name__ == "__main__":
    main()
