"""A loopback S3 stand-in that records which access key id signed each request.

It judges nothing: every request is answered (an object's bytes, with Range support, or a
bucket listing), so that a client runs to the end whatever credentials it picked, and the
test reads back the key id it used. The key id comes from the Authorization header (SigV4
`Credential=AKID/...` or SigV2 `AWS AKID:signature`) or from a presigned query string; a
request with none of these is recorded as anonymous (None).
"""

import http.server
import re
import threading
import urllib.parse

_SIGV4 = re.compile(r"Credential=([^/,\s]+)/")
_SIGV2 = re.compile(r"^AWS ([^:\s]+):")


def key_id_of(headers, query):
    """The access key id a request was signed with, or None for an anonymous request."""
    authorization = headers.get("Authorization", "")
    for pattern in (_SIGV4, _SIGV2):
        match = pattern.search(authorization)
        if match:
            return match.group(1)
    params = urllib.parse.parse_qs(query)
    if "X-Amz-Credential" in params:
        return params["X-Amz-Credential"][0].split("/")[0]
    if "AWSAccessKeyId" in params:
        return params["AWSAccessKeyId"][0]
    return None


class Request:
    def __init__(self, method, path, key_id, session_token):
        self.method = method
        self.path = path
        self.key_id = key_id
        self.session_token = session_token  # whether X-Amz-Security-Token was sent

    def __repr__(self):
        return f"Request({self.method} {self.path} key={self.key_id} token={self.session_token})"


class RecordingS3:
    """`with RecordingS3({"/bucket/key": b"..."}) as s3:` then s3.port, s3.requests, s3.key_ids().

    Objects are addressed path style ("/bucket/key"); a virtual-hosted request (Host starting
    with the bucket name) is mapped onto the same paths.
    """

    def __init__(self, objects=None):
        self.objects = dict(objects or {})
        self.requests = []
        self._lock = threading.Lock()
        self._server = None
        self._thread = None

    @property
    def port(self):
        return self._server.server_address[1]

    @property
    def host(self):
        return f"127.0.0.1:{self.port}"

    def key_ids(self):
        with self._lock:
            return [r.key_id for r in self.requests]

    def clear(self):
        with self._lock:
            self.requests.clear()

    def __enter__(self):
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _record(self):
                parsed = urllib.parse.urlsplit(self.path)
                path = urllib.parse.unquote(parsed.path)
                host = self.headers.get("Host", "").split(":")[0]
                if host and not host[0].isdigit() and host != "localhost":
                    path = "/" + host.split(".")[0] + path
                token = "X-Amz-Security-Token" in self.headers or \
                    "X-Amz-Security-Token" in urllib.parse.parse_qs(parsed.query)
                with owner._lock:
                    owner.requests.append(
                        Request(self.command, path, key_id_of(self.headers, parsed.query), token))
                return path

            def _send(self, status, body, content_type="application/octet-stream", extra=()):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in extra:
                    self.send_header(name, value)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _object(self, path):
                data = owner.objects.get(path)
                if data is None:
                    bucket = path.strip("/").split("/")[0]
                    keys = [p.split("/", 2)[2] for p in owner.objects
                            if p.startswith(f"/{bucket}/")]
                    listing = "".join(
                        f"<Contents><Key>{k}</Key><Size>{len(owner.objects['/' + bucket + '/' + k])}"
                        f"</Size><LastModified>2026-01-01T00:00:00.000Z</LastModified>"
                        f"<ETag>\"0\"</ETag><StorageClass>STANDARD</StorageClass></Contents>"
                        for k in keys)
                    if path.rstrip("/").count("/") <= 1:
                        xml = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult>"
                               f"<Name>{bucket}</Name><Prefix></Prefix><IsTruncated>false"
                               f"</IsTruncated>{listing}</ListBucketResult>").encode()
                        self._send(200, xml, "application/xml")
                    else:
                        self._send(404, b"<Error><Code>NoSuchKey</Code></Error>",
                                   "application/xml")
                    return
                ranged = re.match(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
                if ranged:
                    start = int(ranged.group(1))
                    end = int(ranged.group(2)) if ranged.group(2) else len(data) - 1
                    end = min(end, len(data) - 1)
                    if start >= len(data):
                        self._send(416, b"", extra=[("Content-Range", f"bytes */{len(data)}")])
                        return
                    self._send(206, data[start:end + 1], extra=[
                        ("Content-Range", f"bytes {start}-{end}/{len(data)}")])
                    return
                self._send(200, data)

            def do_GET(self):
                self._object(self._record())

            def do_HEAD(self):
                self._object(self._record())

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
