#!/usr/bin/env python3
"""Re-derives the S3 golden cases (the folders named s3-*) from botocore.

botocore is the reference for presigned S3 URLs (REFERENCE.md section 5). This script asks it
to presign each case below with its clock frozen, captures the canonical request and the
string to sign from botocore's own S3SigV4QueryAuth methods, and writes one folder per case:

    context.json          credentials, region, service, timestamp, expiry, payload hash
    request.txt           the request before signing: method, path and caller query as they
                          go on the wire, the signed Host header and any Content-Type
    canonical-request.txt, string-to-sign.txt, signature.txt, signed-url.txt

It only ever writes folders whose names start with "s3-"; the AWS test-suite cases and the
AWS documentation example in the same directory come from elsewhere (see README.md).

Usage: python3 regenerate_s3_cases.py [--check]
    --check  compare with the folders on disk instead of writing them; exit 1 on a difference.
"""

import datetime
import hashlib
import hmac
import json
import os
import sys
from pathlib import Path
from unittest import mock
from urllib.parse import urlsplit

# Nothing from the environment or the user's AWS configuration may steer botocore's choices.
for name in [n for n in os.environ if n.startswith("AWS_")]:
    del os.environ[name]
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull

import botocore  # noqa: E402
import botocore.auth  # noqa: E402
import botocore.config  # noqa: E402
import botocore.session  # noqa: E402

HERE = Path(__file__).resolve().parent

# The AWS documentation's example keys: not real credentials.
ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
# A made-up session token with the characters real ones carry: '/', '+' and '='.
SESSION_TOKEN = "FwoGZXIvYXdzEXAMPLE//////////wEaDKEXAMPLETOKEN+k3y/z1p8Q=="

CASES = [
    {
        "name": "s3-get-key-with-spaces-and-unicode",
        "edge": "a key with spaces and non-ASCII UTF-8, encoded once in path and canonical URI",
        "timestamp": "2026-12-03T15:16:57Z",
        "operation": "get_object",
        "params": {
            "Bucket": "examplebucket",
            "Key": "reports/2026 Q4/na\u00efve caf\u00e9 \u2615.csv",
        },
    },
    {
        "name": "s3-get-key-with-double-slash-and-dot-segments",
        "edge": "'//', './' and '../' in a key are kept as they are: S3 never normalises",
        "timestamp": "2026-12-03T15:16:57Z",
        "operation": "get_object",
        "params": {"Bucket": "examplebucket", "Key": "a//b/./c/../d.txt"},
    },
    {
        "name": "s3-get-key-with-reserved-characters",
        "edge": "every reserved character in a key is percent-encoded, '~' and '/' stay literal",
        "timestamp": "2026-12-03T15:16:57Z",
        "operation": "get_object",
        "params": {"Bucket": "examplebucket", "Key": "a+b=c&d;e,f:g@h$i!j'k(l)m*n%o#p?q~r"},
    },
    {
        "name": "s3-put-with-content-type",
        "edge": "a PUT that sets Content-Type signs it as a header: content-type;host",
        "timestamp": "2026-12-03T15:16:57Z",
        "operation": "put_object",
        "params": {
            "Bucket": "examplebucket",
            "Key": "uploads/data.csv",
            "ContentType": "text/csv; charset=utf-8",
        },
    },
    {
        "name": "s3-get-with-session-token",
        "edge": "a session token is signed in the query, its '/', '+' and '=' encoded",
        "timestamp": "2026-12-03T15:16:57Z",
        "region": "eu-west-1",
        "addressing_style": "virtual",
        "token": SESSION_TOKEN,
        "operation": "get_object",
        "params": {"Bucket": "examplebucket", "Key": "logs/app.log"},
    },
    {
        "name": "s3-get-response-content-disposition",
        "edge": "caller parameters come first in the URL and sort after X-Amz-* when signed",
        "timestamp": "2026-12-03T15:16:57Z",
        "operation": "get_object",
        "params": {
            "Bucket": "examplebucket",
            "Key": "reports/q4.pdf",
            "ResponseContentDisposition": 'attachment; filename="Q4 report.pdf"',
            "ResponseContentType": "application/pdf",
        },
    },
    {
        "name": "s3-delete-with-version-id",
        "edge": "DELETE with a versionId whose '+' must be encoded as %2B",
        "timestamp": "2026-12-03T15:16:57Z",
        "operation": "delete_object",
        "params": {
            "Bucket": "examplebucket",
            "Key": "old/object.bin",
            "VersionId": "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo",
        },
    },
    {
        "name": "s3-custom-endpoint-with-port",
        "edge": "a local endpoint: plain http, path style, the port is part of the signed host",
        "timestamp": "2026-12-03T15:16:57Z",
        "endpoint_url": "http://127.0.0.1:9000",
        "operation": "get_object",
        "params": {"Bucket": "test-bucket", "Key": "data/file.bin"},
    },
    {
        "name": "s3-custom-endpoint-explicit-default-port",
        "edge": "an explicit :443 stays in the URL but not in the signed host",
        "timestamp": "2026-12-03T15:16:57Z",
        "endpoint_url": "https://s3.example.test:443",
        "operation": "get_object",
        "params": {"Bucket": "test-bucket", "Key": "data/file.bin"},
    },
    {
        "name": "s3-max-expiry-on-leap-day",
        "edge": "the longest expiry S3 accepts, signed in the last second of a leap day",
        "timestamp": "2024-02-29T23:59:59Z",
        "expires": 604800,
        "region": "ap-southeast-2",
        "addressing_style": "virtual",
        "operation": "get_object",
        "params": {"Bucket": "examplebucket", "Key": "archive/2024-02-29.tar.gz"},
    },
    {
        "name": "s3-dotted-bucket-path-style",
        "edge": "a bucket name with dots falls back to path style: /BUCKET/KEY",
        "timestamp": "2026-12-03T15:16:57Z",
        "operation": "get_object",
        "params": {"Bucket": "my.dotted.bucket", "Key": "index.html"},
    },
]


def presign(case):
    """Presigns one case with botocore; returns (url, canonical request, string to sign)."""
    when = datetime.datetime.strptime(case["timestamp"], "%Y-%m-%dT%H:%M:%SZ")
    captured = {}
    auth = botocore.auth.S3SigV4QueryAuth
    real_canonical_request = auth.canonical_request
    real_string_to_sign = auth.string_to_sign

    def canonical_request(self, request):
        captured["canonical_request"] = real_canonical_request(self, request)
        return captured["canonical_request"]

    def string_to_sign(self, request, canonical):
        captured["string_to_sign"] = real_string_to_sign(self, request, canonical)
        return captured["string_to_sign"]

    session = botocore.session.Session()
    s3_config = {"addressing_style": case.get("addressing_style", "auto")}
    client = session.create_client(
        "s3",
        region_name=case.get("region", "us-east-1"),
        endpoint_url=case.get("endpoint_url"),
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
        aws_session_token=case.get("token"),
        config=botocore.config.Config(signature_version="s3v4", s3=s3_config),
    )
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=when), \
            mock.patch.object(auth, "canonical_request", canonical_request), \
            mock.patch.object(auth, "string_to_sign", string_to_sign):
        url = client.generate_presigned_url(
            case["operation"], Params=case["params"], ExpiresIn=case.get("expires", 3600))
    return url, captured["canonical_request"], captured["string_to_sign"]


def check_chain(case, url, canonical, sts):
    """Recomputes the hash and HMAC steps, so a capture mistake cannot slip through."""
    assert sts.split("\n")[-1] == hashlib.sha256(canonical.encode()).hexdigest(), case["name"]
    date = case["timestamp"][:10].replace("-", "")
    region = case.get("region", "us-east-1")
    key = ("AWS4" + SECRET_ACCESS_KEY).encode()
    for part in (date, region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
    assert url.endswith("&X-Amz-Signature=" + signature), case["name"]
    return signature


def request_text(canonical, url):
    """The request as it was before signing, in the form the golden test reads back."""
    lines = canonical.split("\n")
    method = lines[0]
    headers = {}
    for line in lines[3:]:
        if not line:
            break
        name, _, value = line.partition(":")
        headers[name] = value
    parts = urlsplit(url)
    caller_query = parts.query.split("X-Amz-Algorithm=")[0].rstrip("&")
    target = parts.path + ("?" + caller_query if caller_query else "")
    text = f"{method} {target} HTTP/1.1\nHost:{headers.pop('host')}\n"
    if "content-type" in headers:
        text += f"Content-Type:{headers.pop('content-type')}\n"
    assert not headers, f"headers the contract cannot express: {headers}"
    return text


def case_files(case):
    url, canonical, sts = presign(case)
    signature = check_chain(case, url, canonical, sts)
    parts = urlsplit(url)
    context = {
        "credentials": {
            "access_key_id": ACCESS_KEY_ID,
            "secret_access_key": SECRET_ACCESS_KEY,
        },
        "expiration_in_seconds": case.get("expires", 3600),
        "normalize": False,
        "payload_hash": "UNSIGNED-PAYLOAD",
        "region": case.get("region", "us-east-1"),
        "scheme": parts.scheme,
        "service": "s3",
        "timestamp": case["timestamp"],
    }
    if case.get("token"):
        context["credentials"]["token"] = case["token"]
    signed_host = canonical.split("\n")[3].removeprefix("host:")
    if parts.netloc != signed_host:
        context["url_host"] = parts.netloc
    context["source"] = {
        "generated_by": f"botocore {botocore.__version__} generate_presigned_url "
                        "(S3SigV4QueryAuth), clock frozen; tests/golden/sigv4/"
                        "regenerate_s3_cases.py",
        "edge": case["edge"],
        "operation": case["operation"],
        "params": case["params"],
    }
    for option in ("addressing_style", "endpoint_url"):
        if option in case:
            context["source"][option] = case[option]
    return {
        "context.json": json.dumps(context, indent=2, ensure_ascii=False) + "\n",
        "request.txt": request_text(canonical, url),
        "canonical-request.txt": canonical + "\n",
        "string-to-sign.txt": sts + "\n",
        "signature.txt": signature + "\n",
        "signed-url.txt": url + "\n",
    }


def main():
    check_only = "--check" in sys.argv[1:]
    differences = 0
    for case in CASES:
        assert case["name"].startswith("s3-")
        folder = HERE / case["name"]
        for file_name, text in case_files(case).items():
            path = folder / file_name
            if check_only:
                if not path.exists() or path.read_text(encoding="utf-8") != text:
                    print(f"differs: {path.relative_to(HERE)}")
                    differences += 1
                continue
            folder.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
        if not check_only:
            print(f"wrote {case['name']}")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
