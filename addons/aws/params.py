"""Request parameters as botocore would have been given them.

Driven by the operation's input shape: each protocol's wire form (JSON, XML,
form-encoded query, CBOR, URI labels, query strings, headers) is read back
into a plain dict. Values an SDK would pass as bytes or datetimes come back
as such. Parsing never raises for a malformed body: it raises `ParamError`,
which the classifier records as the reason.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import email.utils
import json
from urllib.parse import unquote
from xml.etree import ElementTree

from botocore.model import OperationModel, Shape
from botocore.utils import parse_timestamp

from . import cbor
from .request import HeadersLike, Request
from .router import detect_protocol, find_route, label_groups

MAX_PARSE_BYTES = 8 * 1024 * 1024  # larger bodies are streamed payloads, not parameters

UTC = datetime.timezone.utc


class ParamError(ValueError):
    pass


def parse_params(
    operation_model: OperationModel, method: str, url: str, headers: HeadersLike, body: bytes | None
) -> dict:
    """The parameters of this request, following `operation_model`'s input shape."""
    return parse_request(operation_model, Request.build(method, url, headers, body))


def parse_request(op: OperationModel, req: Request, match=None) -> dict:
    shape = op.input_shape
    if shape is None:
        return {}
    protocol = detect_protocol(op.service_model, req)
    try:
        if protocol == "json":
            return _from_json(_json_body(req.body), shape) or {}
        if protocol in ("query", "ec2"):
            return _from_form(req.form, shape, protocol == "ec2")
        if protocol == "smithy-rpc-v2-cbor":
            return _from_json(_cbor_body(req.body), shape) or {}
        return _from_rest(op, req, protocol, match)
    except ParamError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError) as e:
        raise ParamError(f"cannot read {protocol} parameters: {e}") from e


# -- scalars ------------------------------------------------------------------


def _timestamp(value) -> datetime.datetime:
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, (int, float)):
        return datetime.datetime.fromtimestamp(value, UTC)
    text = str(value).strip()
    try:
        return datetime.datetime.fromtimestamp(float(text), UTC)
    except ValueError:
        pass
    if "," in text or text[:3].isalpha():
        parsed = email.utils.parsedate_to_datetime(text)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return parse_timestamp(text).astimezone(UTC)


def _b64(value: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as e:
        raise ParamError(f"invalid base64 blob: {value[:40]!r}") from e


def _scalar_from_text(text: str, shape: Shape):
    """A scalar sent as text (query strings, form fields, headers, XML)."""
    t = shape.type_name
    if t == "string":
        return text
    if t in ("integer", "long", "short", "byte"):
        return int(text)
    if t in ("float", "double"):
        return float(text)
    if t == "boolean":
        if text not in ("true", "false"):
            raise ParamError(f"invalid boolean {text!r}")
        return text == "true"
    if t == "timestamp":
        return _timestamp(text)
    if t == "blob":
        return _b64(text)
    return text


# -- JSON and CBOR documents ---------------------------------------------------


def _json_body(body: bytes):
    if not body.strip():
        return {}
    if len(body) > MAX_PARSE_BYTES:
        raise ParamError("JSON body too large to parse")
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as e:
        raise ParamError(f"malformed JSON body: {e}") from e


def _cbor_body(body: bytes):
    if not body:
        return {}
    if len(body) > MAX_PARSE_BYTES:
        raise ParamError("CBOR body too large to parse")
    try:
        return cbor.decode(body)
    except cbor.CBORError as e:
        raise ParamError(f"malformed CBOR body: {e}") from e


def _from_json(value, shape: Shape):
    """A JSON (or decoded CBOR) value read back along `shape`."""
    if value is None:
        return None
    t = shape.type_name
    if getattr(shape, "is_document_type", False):
        return value
    if t == "structure":
        if not isinstance(value, dict):
            raise ParamError(f"expected an object for {shape.name}")
        out = {}
        for name, member in shape.members.items():
            key = member.serialization.get("name", name)
            if key in value and value[key] is not None:
                out[name] = _from_json(value[key], member)
        return out
    if t == "list":
        if not isinstance(value, list):
            raise ParamError(f"expected a list for {shape.name}")
        return [_from_json(v, shape.member) for v in value]
    if t == "map":
        if not isinstance(value, dict):
            raise ParamError(f"expected a map for {shape.name}")
        return {k: _from_json(v, shape.value) for k, v in value.items()}
    if t == "blob":
        return value if isinstance(value, (bytes, bytearray)) else _b64(value)
    if t == "timestamp":
        return _timestamp(value)
    if t in ("float", "double") and isinstance(value, str):
        return float(value)  # "NaN", "Infinity", "-Infinity"
    if t in ("float", "double") and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


# -- query and EC2 forms -------------------------------------------------------


def _from_form(form: dict[str, str], shape: Shape, ec2: bool) -> dict:
    prefixes = set()
    for key in form:
        parts = key.split(".")
        for i in range(1, len(parts) + 1):
            prefixes.add(".".join(parts[:i]))
    reader = _FormReader(form, prefixes, ec2)
    return reader.structure(shape, "") or {}


class _FormReader:
    def __init__(self, form, prefixes, ec2):
        self.form, self.prefixes, self.ec2 = form, prefixes, ec2

    def name(self, shape: Shape, default: str) -> str:
        ser = shape.serialization
        if self.ec2:
            if "queryName" in ser:
                return ser["queryName"]
            if "name" in ser:
                return ser["name"][0].upper() + ser["name"][1:]
            return default
        return ser.get("name", default)

    def read(self, shape: Shape, prefix: str):
        t = shape.type_name
        if t == "structure":
            return self.structure(shape, prefix)
        if t == "list":
            return self.list(shape, prefix)
        if t == "map":
            return self.map(shape, prefix)
        if prefix in self.form:
            return _scalar_from_text(self.form[prefix], shape)
        return None

    def structure(self, shape: Shape, prefix: str):
        out = {}
        for name, member in shape.members.items():
            key = self.name(member, name)
            full = f"{prefix}.{key}" if prefix else key
            if full in self.prefixes:
                value = self.read(member, full)
                if value is not None:
                    out[name] = value
        return out

    def list(self, shape: Shape, prefix: str):
        if self.ec2:
            base = prefix
        elif shape.serialization.get("flattened"):
            base = prefix
            if shape.member.serialization.get("name"):
                base = ".".join(prefix.split(".")[:-1] + [shape.member.serialization["name"]])
        else:
            base = f"{prefix}.{shape.member.serialization.get('name', 'member')}"
        items = []
        i = 1
        while f"{base}.{i}" in self.prefixes:
            items.append(self.read(shape.member, f"{base}.{i}"))
            i += 1
        # `Name=` is how the query protocol sends an empty list.
        return items if items or prefix in self.prefixes else None

    def map(self, shape: Shape, prefix: str):
        base = prefix if shape.serialization.get("flattened") else f"{prefix}.entry"
        kname = self.name(shape.key, "key")
        vname = self.name(shape.value, "value")
        out = {}
        i = 1
        while f"{base}.{i}" in self.prefixes:
            key = self.read(shape.key, f"{base}.{i}.{kname}")
            out[key] = self.read(shape.value, f"{base}.{i}.{vname}")
            i += 1
        return out


# -- REST protocols ------------------------------------------------------------


def _from_rest(op: OperationModel, req: Request, protocol: str, match) -> dict:
    shape = op.input_shape
    if match is None:
        found = find_route(op.service_model, req)
        match = found[1] if found and found[0].name == op.name else None
    labels = label_groups(match, op) if match is not None else {}
    query = req.query_dict
    out: dict = {}
    body_members = {}
    payload = shape.serialization.get("payload")
    for name, member in shape.members.items():
        ser = member.serialization
        loc = ser.get("location")
        wire = ser.get("name", name)
        if loc == "uri":
            if wire in labels:
                out[name] = _scalar_from_text(unquote(labels[wire]), member)
        elif loc == "querystring":
            value = _rest_query(member, wire, query, shape)
            if value is not None:
                out[name] = value
        elif loc == "header":
            value = req.headers.get(wire.lower())
            if value is not None and wire.lower() == "content-encoding":
                value = _without_aws_chunked(value)
            if value:
                out[name] = _header_value(value, member)
        elif loc == "headers":
            prefix = wire.lower()
            found = {
                k[len(prefix):]: v for k, v in req.headers.items() if k.startswith(prefix)
            }
            if found:
                out[name] = found
        elif loc is None and name != payload:
            body_members[name] = member
    if payload:
        member = shape.members[payload]
        value = _rest_payload(member, req.body, protocol)
        if value is not None:
            out[payload] = value
    elif body_members and req.body.strip():
        if protocol == "rest-json":
            doc = _json_body(req.body)
            for name, member in body_members.items():
                key = member.serialization.get("name", name)
                if isinstance(doc, dict) and doc.get(key) is not None:
                    out[name] = _from_json(doc[key], member)
        else:
            root = _xml_root(req.body)
            parsed = _xml_structure(root, shape, only=body_members)
            out.update(parsed)
    return out


def _rest_query(member: Shape, wire: str, query: dict, parent: Shape):
    if member.type_name == "map":
        # A querystring map takes every parameter no other member claims.
        claimed = {
            m.serialization.get("name", n)
            for n, m in parent.members.items()
            if m.serialization.get("location") == "querystring" and m is not member
        }
        values = {k: v for k, v in query.items() if k not in claimed and k != "x-id"}
        if not values:
            return None
        if member.value.type_name == "list":
            return {k: [_scalar_from_text(x, member.value.member) for x in v] for k, v in values.items()}
        return {k: _scalar_from_text(v[0], member.value) for k, v in values.items()}
    if wire not in query:
        return None
    if member.type_name == "list":
        return [_scalar_from_text(v, member.member) for v in query[wire]]
    return _scalar_from_text(query[wire][0], member)


def _split_header_list(value: str) -> list[str]:
    items, buf, quoted, escaped = [], [], False, False
    started = False
    for ch in value:
        if escaped:
            buf.append(ch)
            escaped = False
        elif quoted and ch == "\\":
            escaped = True
        elif ch == '"':
            quoted = not quoted
            started = True
        elif ch == "," and not quoted:
            items.append("".join(buf).strip() if not started else "".join(buf))
            buf, started = [], False
        else:
            if ch == " " and not quoted and not buf:
                continue
            buf.append(ch)
    items.append("".join(buf).strip() if not started else "".join(buf))
    return items


def _header_value(value: str, member: Shape):
    t = member.type_name
    if t == "list":
        if member.member.type_name == "timestamp" and member.member.serialization.get("timestampFormat", "rfc822") == "rfc822":
            parts = value.split(",")
            dates = [",".join(parts[i : i + 2]) for i in range(0, len(parts), 2)]
            return [_timestamp(d.strip()) for d in dates]
        return [_scalar_from_text(v, member.member) for v in _split_header_list(value)]
    if t == "string" and member.serialization.get("jsonvalue"):
        return json.loads(_b64(value))
    if t == "string" and value.startswith(" "):
        value = value.strip()
    return _scalar_from_text(value, member)


def _without_aws_chunked(value: str) -> str:
    """Content-Encoding minus the `aws-chunked` the SDK added for its own framing."""
    return ",".join(v for v in (p.strip() for p in value.split(",")) if v and v != "aws-chunked")


def _rest_payload(member: Shape, body: bytes, protocol: str):
    if member.serialization.get("streaming"):
        return None  # the payload itself (an upload), not a parameter
    t = member.type_name
    if t == "blob":
        return body if body else None
    if t == "string":
        return body.decode("utf-8") if body else None
    if not body.strip():
        return None
    if protocol == "rest-json":
        return _from_json(_json_body(body), member)
    return _xml_structure(_xml_root(body), member)


# -- XML -------------------------------------------------------------------------


def _xml_root(body: bytes) -> ElementTree.Element:
    if len(body) > MAX_PARSE_BYTES:
        raise ParamError("XML body too large to parse")
    # No DTDs: entity expansion and external entities are refused outright.
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise ParamError("XML with a DOCTYPE or ENTITY declaration is refused")
    try:
        return ElementTree.fromstring(body)
    except ElementTree.ParseError as e:
        raise ParamError(f"malformed XML body: {e}") from e


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(el: ElementTree.Element) -> dict[str, list[ElementTree.Element]]:
    out: dict[str, list] = {}
    for child in el:
        out.setdefault(_local(child.tag), []).append(child)
    return out


def _xml_value(el: ElementTree.Element, shape: Shape):
    t = shape.type_name
    if t == "structure":
        return _xml_structure(el, shape)
    if t == "list":
        name = shape.member.serialization.get("name", "member")
        return [_xml_value(c, shape.member) for c in el if _local(c.tag) == name]
    if t == "map":
        return _xml_map(list(_children(el).get("entry", [])), shape)
    return _scalar_from_text(el.text or "", shape)


def _xml_map(entries, shape: Shape) -> dict:
    kname = shape.key.serialization.get("name", "key")
    vname = shape.value.serialization.get("name", "value")
    out = {}
    for entry in entries:
        kids = _children(entry)
        key = _xml_value(kids[kname][0], shape.key) if kname in kids else ""
        out[key] = _xml_value(kids[vname][0], shape.value) if vname in kids else None
    return out


def _xml_structure(el: ElementTree.Element, shape: Shape, only: dict | None = None) -> dict:
    kids = _children(el)
    attrs = {_local(k): v for k, v in el.attrib.items()}
    out = {}
    members = only if only is not None else shape.members
    for name, member in members.items():
        ser = member.serialization
        if ser.get("location"):
            continue
        if ser.get("xmlAttribute"):
            wire = ser.get("name", name).rsplit(":", 1)[-1]
            if wire in attrs:
                out[name] = _scalar_from_text(attrs[wire], member)
            continue
        wire = ser.get("name", name)
        if member.type_name == "list" and ser.get("flattened"):
            item_name = member.member.serialization.get("name", wire)
            found = kids.get(item_name) or kids.get(wire)
            if found:
                out[name] = [_xml_value(c, member.member) for c in found]
        elif member.type_name == "map" and ser.get("flattened"):
            if wire in kids:
                out[name] = _xml_map(kids[wire], member)
        elif wire in kids:
            out[name] = _xml_value(kids[wire][0], member)
    return out
