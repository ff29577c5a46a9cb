"""Schemathesis hooks for the API fuzzer: how to send the body types it has no serializer for.

`message/rfc822` (a raw mail piped to a mail channel), `text/xml` (a chat platform's callback) and
`application/x-ndjson` (tickets from another system):
the generated value as its bytes.
"""
import schemathesis


@schemathesis.serializer("message/rfc822")
def rfc822(ctx, value):
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8", "surrogatepass")


@schemathesis.serializer("text/xml")
def xml(ctx, value):
    """A chat platform's callback body (an XML envelope): the generated value as text."""
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8", "surrogatepass")


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    """Tickets migrated from another system (JSON lines): a generated string as it is, any
    other value as one JSON line per item."""
    import json

    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    items = value if isinstance(value, list) else [value]
    return "".join(json.dumps(v, ensure_ascii=False) + "\n" for v in items).encode("utf-8", "surrogatepass")
