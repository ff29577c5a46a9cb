"""Schemathesis hooks for the API fuzzer: how to send the body types it has no serializer for.

`message/rfc822` (a raw mail piped to a mail channel) and `text/xml` (a chat platform's callback):
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
