"""An independent judge of SigV4 presigned S3 URLs, and a tiny S3 on loopback that uses it.

Why it exists: moto's server cannot judge presigned URLs. With authentication on
(INITIAL_NO_AUTH_ACTION_COUNT) it reads the Authorization header of every request
(moto/iam/access_control.py, IAMRequestBase.__init__: headers["Authorization"]), which a
presigned request does not have, and answers 500. With authentication off it serves any URL,
whatever its signature, expiry or method. So the checks that a presigned URL is refused when
tampered with, expired, or used with another method need a server that verifies signatures.

This verifier is written from the AWS documentation ("Authenticating Requests: Using Query
Parameters (AWS Signature Version 4)" in the S3 API reference, and the SigV4 signing
process in the IAM user guide), with hashlib and hmac only. It shares no code with credkit or
botocore. The tests prove it right by the documentation's own example and by accepting every
URL botocore makes for the key corpus.

What S3 does, and so what this does:
- The URL carries X-Amz-Algorithm (AWS4-HMAC-SHA256), X-Amz-Credential
  (KEYID/YYYYMMDD/REGION/s3/aws4_request), X-Amz-Date (YYYYMMDDTHHMMSSZ), X-Amz-Expires
  (1..604800 seconds), X-Amz-SignedHeaders (';'-separated lowercase names, `host` among
  them), X-Amz-Signature (64 lowercase hex digits), and X-Amz-Security-Token when the
  credentials are temporary.
- Canonical request = METHOD \\n CanonicalURI \\n CanonicalQuery \\n CanonicalHeaders \\n
  SignedHeaders \\n "UNSIGNED-PAYLOAD". For S3 the canonical URI is the path URI-encoded once
  (each byte but A-Z a-z 0-9 - _ . ~ as %XX, uppercase hex; '/' kept), with no normalisation:
  no dot-segment removal, no merging of slashes. The canonical query is every parameter but
  X-Amz-Signature, name and value URI-encoded ('/' too), sorted by name then value, joined
  with '&'. Canonical headers are `name:value\\n` for each signed header, names lowercased,
  values trimmed with inner runs of spaces made one.
- String to sign = "AWS4-HMAC-SHA256" \\n X-Amz-Date \\n DATE/REGION/s3/aws4_request \\n
  hex(SHA256(canonical request)). Signing key = HMAC chain "AWS4"+secret -> DATE -> REGION ->
  "s3" -> "aws4_request"; signature = hex(HMAC(signing key, string to sign)).
- A URL is refused (403) when the key id is unknown (InvalidAccessKeyId), the token is
  missing or wrong for temporary keys (InvalidToken), a parameter is missing or malformed or
  the credential's region or service is not this server's (AuthorizationQueryParametersError),
  the date is more than 15 minutes ahead of the server's clock, the URL is past
  X-Amz-Date + X-Amz-Expires (AccessDenied, "Request has expired"), or the signature does not
  match (SignatureDoesNotMatch) -- which is how a wrong method, a tampered path or query, or a
  header that differs from the signed one (a PUT's content-type) shows.

The path and query are judged as the server received them: the path is percent-decoded and
encoded again, so that a client may send a character encoded or not, as S3 allows.
"""

import calendar
import hashlib
import hmac
import http.server
import re
import socketserver
import threading
import time
import urllib.parse
from xml.sax.saxutils import escape

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
MAX_EXPIRES = 604800
CLOCK_SKEW = 15 * 60

_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")
_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$")
_HEX64_RE = re.compile(r"^[0-9a-f]{64}$")


def uri_encode(data, keep_slash):
    """The SigV4 UriEncode of the documentation: bytes, not characters."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    out = []
    for byte in data:
        if byte in _UNRESERVED or (keep_slash and byte == 0x2F):
            out.append(chr(byte))
        else:
            out.append("%%%02X" % byte)
    return "".join(out)


def percent_decode(text):
    """Percent-decoding to bytes ('+' stays '+'); malformed escapes stay as they are."""
    raw = text.encode("latin-1")  # one char per byte received (see wire_target)
    out = bytearray()
    i = 0
    while i < len(raw):
        if raw[i] == 0x25 and _is_hex(raw[i + 1:i + 3]):
            out.append(int(raw[i + 1:i + 3], 16))
            i += 3
        else:
            out.append(raw[i])
            i += 1
    return bytes(out)


def wire_target(text):
    """A request target as http.server hands it over: each byte sent is one character
    (ISO-8859-1). A URL with raw non-ASCII characters is sent as their UTF-8 bytes."""
    return text.encode("utf-8").decode("latin-1")


def _is_hex(two):
    return len(two) == 2 and all(c in b"0123456789abcdefABCDEF" for c in two)


def parse_query(raw_query):
    """[(name, value)] as bytes, percent-decoded, in the order given."""
    pairs = []
    if not raw_query:
        return pairs
    for part in raw_query.split("&"):
        if part == "":
            continue
        name, _, value = part.partition("=")
        pairs.append((percent_decode(name), percent_decode(value)))
    return pairs


def _hmac(key, text):
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def signing_key(secret, date, region, service="s3"):
    k_date = _hmac(("AWS4" + secret).encode("utf-8"), date)
    k_region = _hmac(k_date, region)
    k_service = _hmac(k_region, service)
    return _hmac(k_service, "aws4_request")


def _epoch(amz_date):
    match = _DATE_RE.match(amz_date)
    if not match:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.groups())
    try:
        return calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))
    except (ValueError, OverflowError):
        return None


class Verdict:
    """The outcome of judging one request: ok, or the S3 error code and a message."""

    def __init__(self, ok, code="", message="", canonical_request="", string_to_sign=""):
        self.ok = ok
        self.code = code
        self.message = message
        self.canonical_request = canonical_request
        self.string_to_sign = string_to_sign
        self.bucket = None
        self.key = None

    def __bool__(self):
        return self.ok

    def __repr__(self):
        return "Verdict(ok)" if self.ok else f"Verdict({self.code}: {self.message})"


class Verifier:
    """Judges presigned requests for one region with a set of known credentials.

    credentials: {access_key_id: (secret_access_key, session_token or None)}
    """

    def __init__(self, credentials, region="us-east-1", service="s3"):
        self.credentials = dict(credentials)
        self.region = region
        self.service = service

    def add(self, access_key_id, secret_access_key, session_token=None):
        self.credentials[access_key_id] = (secret_access_key, session_token)

    def verify_url(self, method, url, now, headers=None):
        """Judges a URL as a client would send it: Host from the URL's netloc (the port only
        when it is not the scheme's default, as HTTP clients send it)."""
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        port = parts.port
        default = {"http": 80, "https": 443}.get(parts.scheme)
        if port is not None and port != default:
            host = f"{host}:{port}"
        all_headers = {"host": host}
        for name, value in (headers or {}).items():
            all_headers[name.lower()] = value
        target = parts.path + ("?" + parts.query if parts.query else "")
        return self.verify(method, wire_target(target), all_headers, now)

    def verify(self, method, target, headers, now):
        """Judges a request: `target` is the raw request target (path?query) as received,
        `headers` maps lowercase names to values, `now` is the server's clock (epoch seconds)."""
        path, _, raw_query = target.partition("?")
        pairs = parse_query(raw_query)
        params = {}
        for name, value in pairs:
            params.setdefault(name, value)

        def param(name):
            value = params.get(name.encode())
            return None if value is None else value.decode("utf-8", "replace")

        required = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
                    "X-Amz-SignedHeaders", "X-Amz-Signature")
        missing = [name for name in required if param(name) is None]
        if missing:
            return Verdict(False, "AuthorizationQueryParametersError",
                           "missing query parameters: " + ", ".join(missing))
        if param("X-Amz-Algorithm") != ALGORITHM:
            return Verdict(False, "AuthorizationQueryParametersError",
                           "X-Amz-Algorithm must be " + ALGORITHM)
        credential = param("X-Amz-Credential").split("/")
        if len(credential) != 5 or credential[4] != "aws4_request":
            return Verdict(False, "AuthorizationQueryParametersError",
                           "malformed X-Amz-Credential")
        key_id, date, region, service, _ = credential
        amz_date = param("X-Amz-Date")
        signed_at = _epoch(amz_date)
        if signed_at is None:
            return Verdict(False, "AuthorizationQueryParametersError", "malformed X-Amz-Date")
        if date != amz_date[:8]:
            return Verdict(False, "AuthorizationQueryParametersError",
                           "credential date is not X-Amz-Date's date")
        if region != self.region:
            return Verdict(False, "AuthorizationQueryParametersError",
                           f"the region '{region}' is wrong; expecting '{self.region}'")
        if service != self.service:
            return Verdict(False, "AuthorizationQueryParametersError",
                           f"the service '{service}' is wrong; expecting '{self.service}'")
        expires_text = param("X-Amz-Expires")
        if not expires_text.isdigit():
            return Verdict(False, "AuthorizationQueryParametersError",
                           "X-Amz-Expires must be a number of seconds")
        expires = int(expires_text)
        if expires < 1 or expires > MAX_EXPIRES:
            return Verdict(False, "AuthorizationQueryParametersError",
                           "X-Amz-Expires must be 1..604800")
        signed_headers_text = param("X-Amz-SignedHeaders")
        signed_headers = signed_headers_text.split(";")
        if ("host" not in signed_headers or signed_headers != sorted(signed_headers)
                or any(h != h.lower() or not h for h in signed_headers)):
            return Verdict(False, "AuthorizationQueryParametersError",
                           "X-Amz-SignedHeaders must be sorted lowercase names with host")
        signature = param("X-Amz-Signature")
        if not _HEX64_RE.match(signature):
            return Verdict(False, "AuthorizationQueryParametersError",
                           "X-Amz-Signature must be 64 lowercase hex digits")
        if key_id not in self.credentials:
            return Verdict(False, "InvalidAccessKeyId", "unknown access key id")
        secret, token = self.credentials[key_id]
        if token is not None and param("X-Amz-Security-Token") != token:
            return Verdict(False, "InvalidToken", "missing or wrong X-Amz-Security-Token")
        if token is None and param("X-Amz-Security-Token") is not None:
            return Verdict(False, "InvalidToken", "a token with a long-term key")
        if signed_at > now + CLOCK_SKEW:
            return Verdict(False, "AccessDenied", "Request is not valid yet")
        if now > signed_at + expires:
            return Verdict(False, "AccessDenied", "Request has expired")

        canonical_uri = uri_encode(percent_decode(path), keep_slash=True)
        canonical_query = "&".join(
            f"{n}={v}" for n, v in sorted(
                (uri_encode(name, False), uri_encode(value, False))
                for name, value in pairs if name != b"X-Amz-Signature"))
        header_lines = []
        for name in signed_headers:
            if name not in headers:
                return Verdict(False, "AccessDenied",
                               f"signed header '{name}' is not in the request")
            value = re.sub(" +", " ", str(headers[name]).strip())
            header_lines.append(f"{name}:{value}\n")
        canonical_request = "\n".join([
            method, canonical_uri, canonical_query, "".join(header_lines),
            signed_headers_text, UNSIGNED_PAYLOAD])
        scope = f"{date}/{region}/{service}/aws4_request"
        string_to_sign = "\n".join([
            ALGORITHM, amz_date, scope,
            hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()])
        expected = hmac.new(signing_key(secret, date, region, service),
                            string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            return Verdict(False, "SignatureDoesNotMatch",
                           "The request signature we calculated does not match the signature "
                           "you provided", canonical_request, string_to_sign)
        return Verdict(True, canonical_request=canonical_request,
                       string_to_sign=string_to_sign)


# ---- a tiny S3 on loopback ----------------------------------------------------------------------

_RESPONSE_OVERRIDES = {
    b"response-content-type": "Content-Type",
    b"response-content-disposition": "Content-Disposition",
    b"response-cache-control": "Cache-Control",
    b"response-content-encoding": "Content-Encoding",
    b"response-content-language": "Content-Language",
    b"response-expires": "Expires",
}


class CheckerS3:
    """A path-style S3 on 127.0.0.1 that serves GET, HEAD, PUT and DELETE of objects only to
    presigned requests this module's Verifier accepts; everything else gets 403 with an S3
    error document. Objects are versioned (each PUT makes a version, `versionId` selects one).

    `now` is the server's clock (a callable giving epoch seconds; real time by default).
    `log` keeps (method, target, status, error code) for every request.
    """

    def __init__(self, credentials, region="us-east-1", now=time.time):
        self.verifier = Verifier(credentials, region)
        self.now = now
        self.objects = {}  # (bucket, key bytes) -> [(version id, body, content type)]
        self.log = []
        self._lock = threading.Lock()
        self._serial = 0
        self._server = None
        self._thread = None

    # -- lifecycle --

    def __enter__(self):
        checker = self

        class Handler(_Handler):
            owner = checker

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- the store, for tests --

    def put(self, bucket, key, body, content_type="binary/octet-stream"):
        with self._lock:
            self._serial += 1
            version = f"v{self._serial:06d}"
            self.objects.setdefault((bucket, key.encode("utf-8")), []).append(
                (version, body, content_type))
            return version

    def get(self, bucket, key):
        versions = self.objects.get((bucket, key.encode("utf-8")))
        return versions[-1] if versions else None


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class _Handler(http.server.BaseHTTPRequestHandler):
    owner = None
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        self._handle("GET")

    def do_HEAD(self):
        self._handle("HEAD")

    def do_PUT(self):
        self._handle("PUT")

    def do_DELETE(self):
        self._handle("DELETE")

    def do_POST(self):
        self._handle("POST")

    def _handle(self, method):
        owner = self.owner
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        verdict = owner.verifier.verify(method, self.path, headers, owner.now())
        if not verdict:
            return self._error(method, 403, verdict.code, verdict.message)
        path, _, raw_query = self.path.partition("?")
        decoded = percent_decode(path)
        if not decoded.startswith(b"/"):
            return self._error(method, 400, "InvalidURI", "path must start with /")
        bucket, slash, key = decoded[1:].partition(b"/")
        if not slash or not key:
            return self._error(method, 400, "InvalidRequest", "only object requests")
        bucket = bucket.decode("utf-8", "replace")
        query = dict(parse_query(raw_query))
        version_id = query.get(b"versionId")
        with owner._lock:
            versions = owner.objects.get((bucket, key), [])
            if method in ("GET", "HEAD"):
                chosen = None
                if version_id is None:
                    chosen = versions[-1] if versions else None
                else:
                    matches = [v for v in versions if v[0].encode() == version_id]
                    chosen = matches[0] if matches else None
                if chosen is None:
                    code = "NoSuchVersion" if version_id is not None else "NoSuchKey"
                    return self._error(method, 404, code, "not found")
                version, data, content_type = chosen
                reply = {"Content-Type": content_type, "x-amz-version-id": version,
                         "ETag": '"' + hashlib.md5(data).hexdigest() + '"'}
                for name, header in _RESPONSE_OVERRIDES.items():
                    if name in query:
                        reply[header] = query[name].decode("utf-8", "replace")
                return self._reply(method, 200, reply, data)
            if method == "PUT":
                owner._serial += 1
                version = f"v{owner._serial:06d}"
                content_type = headers.get("content-type", "binary/octet-stream")
                owner.objects.setdefault((bucket, key), []).append(
                    (version, body, content_type))
                return self._reply(method, 200, {"x-amz-version-id": version,
                                                 "ETag": '"' + hashlib.md5(body).hexdigest()
                                                 + '"'}, b"")
            if method == "DELETE":
                owner.objects.pop((bucket, key), None)
                return self._reply(method, 204, {}, b"")
        return self._error(method, 405, "MethodNotAllowed", "method not allowed")

    def _reply(self, method, status, headers, body):
        self.owner.log.append((method, self.path, status, ""))
        self.send_response(status)
        for name, value in headers.items():
            # Header bytes are the value's UTF-8; http.server writes them as ISO-8859-1.
            self.send_header(name, str(value).encode("utf-8").decode("latin-1"))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if method != "HEAD" and body:
            self.wfile.write(body)

    def _error(self, method, status, code, message):
        self.owner.log.append((method, self.path, status, code))
        document = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>' + escape(code)
                    + "</Code><Message>" + escape(message) + "</Message></Error>").encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("x-checker-error", code)
        self.send_header("Content-Length", str(len(document)))
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(document)
