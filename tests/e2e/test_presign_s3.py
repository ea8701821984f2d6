"""Presigned URLs from `credkit presign` work against S3 servers on loopback, and bad ones fail.

Two servers, because no single one on this machine does both jobs:

- moto_server (moto 5.2) is a real S3 implementation: objects that boto3 stores under
  awkward keys are what credkit's GET and HEAD URLs reach, and what credkit's PUT URLs store
  is what boto3 reads back under the same key. But moto cannot judge a presigned URL. With
  its authentication on (INITIAL_NO_AUTH_ACTION_COUNT, as s3_fixture.MotoS3 runs it) every
  presigned request fails with 500: moto/iam/access_control.py, IAMRequestBase.__init__,
  reads headers["Authorization"], which a presigned request does not have (KeyError
  'HTTP_AUTHORIZATION' in its log). With authentication off it serves any URL whatever its
  signature, expiry or method. So these tests run moto with authentication off, for
  addressing only.
- sigv4_checker.CheckerS3 verifies SigV4 query signatures as S3 does, written from the AWS
  documentation with hashlib/hmac alone. It is proved right first: it accepts the AWS
  documentation's example and every URL botocore makes over the key corpus (GET, PUT with a
  content type, HEAD, session token, virtual-hosted, custom endpoint), and refuses those URLs
  once tampered with, expired, or used with another method. Then it judges credkit's URLs:
  GET, PUT and HEAD work; a tampered signature or key, an expired URL, a wrong method, a
  different Content-Type than the signed one, a missing token are refused with 403.
"""

import calendar
import hashlib
import http.client
import subprocess
import time
import unittest
import urllib.parse
import urllib.request

import presign_corpus
import sigv4_checker
from credkit_test import BIN, CredkitTestCase
from s3_fixture import MotoServer
from test_presign_botocore import ACCESS_KEY, SECRET_KEY, SESSION_TOKEN, botocore_presign

REGION = "us-east-1"
BUCKET = "credkit-presign"
# The session credentials the checker knows, as an instance role's would be.
SESSION_KEY = "ASIAIOSFODNN7SESSION"
SESSION_SECRET = "session/secret+KEY/for+the=checker0000000"


def http_request(url, method="GET", body=None, headers=None):
    """One request, headers exactly as given (no defaults added but Host and
    Content-Length); returns (status, {lowercase header: value}, body)."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        target = parts.path + ("?" + parts.query if parts.query else "")
        connection.putrequest(method, target, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data
    finally:
        connection.close()


def rfc3339(epoch_seconds):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch_seconds))


def sample_keys(per_group=6):
    """Some keys of every corpus group: unicode, specials, controls, dots, 1024-byte keys."""
    chosen, seen = [], {}
    for group, key in presign_corpus.grouped():
        if seen.get(group, 0) < per_group:
            seen[group] = seen.get(group, 0) + 1
            chosen.append(key)
    return chosen


def tamper_signature(url):
    head, _, signature = url.rpartition("X-Amz-Signature=")
    flipped = ("1" if signature[0] == "0" else "0") + signature[1:]
    return head + "X-Amz-Signature=" + flipped


def without_param(url, name):
    parts = urllib.parse.urlsplit(url)
    query = "&".join(p for p in parts.query.split("&") if not p.startswith(name + "="))
    return urllib.parse.urlunsplit(parts._replace(query=query))


class PresignCase(CredkitTestCase):
    """Runs `credkit presign` with env credentials."""

    def presign(self, items, *args, session=False, at=None, expires="1h"):
        """URLs for [(bucket, key)] through -i, one credkit process."""
        env = dict(self.env, AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY)
        if session:
            env.update(AWS_ACCESS_KEY_ID=SESSION_KEY, AWS_SECRET_ACCESS_KEY=SESSION_SECRET,
                       AWS_SESSION_TOKEN=SESSION_TOKEN)
        path = self.path("keys.txt")
        with open(path, "wb") as f:
            f.write(b"".join(f"s3://{b}/{k}\n".encode("utf-8") for b, k in items))
        command = [BIN, "presign", "--source", "env", "--region", REGION, "--expires", expires,
                   "-i", path, *args]
        if at is not None:
            command += ["--at", at]
        result = subprocess.run(command, env=env, capture_output=True, timeout=60)
        if result.returncode != 0:
            self.fail(f"credkit presign failed (exit {result.returncode}): "
                      f"{' '.join(command[1:])}\n{result.stderr.decode('utf-8', 'replace')}")
        urls = result.stdout.decode("utf-8").split("\n")[:-1]
        self.assertEqual(len(urls), len(items), result.stderr.decode("utf-8", "replace"))
        return urls


# ---- the checker is right ---------------------------------------------------------------------

class CheckerIsRight(unittest.TestCase):
    """sigv4_checker agrees with AWS's documentation and with botocore, and refuses what S3
    refuses. Without this, its verdicts on credkit's URLs would prove nothing."""

    AT = "2013-05-24T00:00:00Z"
    NOW = calendar.timegm((2013, 5, 24, 0, 0, 0))

    def test_aws_documentation_example(self):
        verifier = sigv4_checker.Verifier({ACCESS_KEY: (SECRET_KEY, None)}, "us-east-1")
        url = ("https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
               "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
               "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
               "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
        verdict = verifier.verify_url("GET", url, self.NOW)
        self.assertTrue(verdict, verdict)
        self.assertEqual(hashlib.sha256(verdict.canonical_request.encode()).hexdigest(),
                         "3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04")
        self.assertFalse(verifier.verify_url("GET", tamper_signature(url), self.NOW))
        self.assertFalse(verifier.verify_url("HEAD", url, self.NOW))
        self.assertFalse(verifier.verify_url("GET", url, self.NOW + 86401))
        self.assertTrue(verifier.verify_url("GET", url, self.NOW + 86400))

    def test_accepts_botocore_over_the_corpus_and_refuses_altered_urls(self):
        keys = presign_corpus.keys()
        items = [(BUCKET, k) for k in keys + presign_corpus.newline_keys()]
        content_type = "text/plain; charset=utf-8"
        jobs = [
            dict(id="get", region="us-east-1", items=items),
            dict(id="virtual-token", region="eu-west-1", items=items, token=SESSION_TOKEN,
                 s3={"addressing_style": "virtual"}),
            dict(id="endpoint", region="us-east-1", items=items, s3={"addressing_style": "path"},
                 endpoint_url="http://127.0.0.1:9000/prefix"),
            dict(id="put", region="us-east-1", items=items, operation="put_object",
                 params={"ContentType": content_type}),
            dict(id="head", region="us-east-1", items=items, operation="head_object"),
            dict(id="response", region="us-east-1", items=items[:50], params={
                "ResponseContentDisposition": "attachment; filename=\"a b+c.txt\"",
                "ResponseContentType": "text/csv", "VersionId": "3/L4kq+tJ=="}),
        ]
        oracle = botocore_presign(jobs)
        for job in jobs:
            token = job.get("token")
            verifier = sigv4_checker.Verifier({ACCESS_KEY: (SECRET_KEY, token)}, job["region"])
            method = {"put_object": "PUT", "head_object": "HEAD"}.get(
                job.get("operation"), "GET")
            headers = {"content-type": content_type} if method == "PUT" else None
            other = "GET" if method != "GET" else "HEAD"
            for (_, key), url in zip(job["items"], oracle[job["id"]]):
                with self.subTest(job=job["id"], key=key):
                    verdict = verifier.verify_url(method, url, self.NOW, headers)
                    self.assertTrue(verdict, f"{verdict} for botocore's {url}")
                    refused = {
                        "tampered signature": verifier.verify_url(
                            method, tamper_signature(url), self.NOW, headers),
                        "wrong method": verifier.verify_url(other, url, self.NOW, headers),
                        "expired": verifier.verify_url(method, url, self.NOW + 3601, headers),
                        "other key": verifier.verify_url(
                            method, url.replace("?", "x?", 1), self.NOW, headers),
                    }
                    if token:
                        refused["token dropped"] = verifier.verify_url(
                            method, without_param(url, "X-Amz-Security-Token"), self.NOW)
                    if method == "PUT":
                        refused["other content type"] = verifier.verify_url(
                            method, url, self.NOW, {"content-type": "text/html"})
                    for what, verdict in refused.items():
                        self.assertFalse(verdict, f"{what} accepted: {url}")

    def test_live_server_with_botocore_urls(self):
        jobs = [dict(id=m, region=REGION, operation=op, items=[(BUCKET, "dir/a b+\u00e9.txt")],
                     s3={"addressing_style": "path"}, endpoint_url=None,
                     params={"ContentType": "text/plain"} if m == "PUT" else {})
                for m, op in (("PUT", "put_object"), ("GET", "get_object"),
                              ("HEAD", "head_object"))]
        with sigv4_checker.CheckerS3({ACCESS_KEY: (SECRET_KEY, None)}, REGION) as server:
            for job in jobs:
                job["endpoint_url"] = server.endpoint
                job["at"] = rfc3339(int(time.time()))
            urls = {m: u[0] for m, u in botocore_presign(jobs).items()}
            status, _, _ = http_request(urls["PUT"], "PUT", b"hello",
                                        {"Content-Type": "text/plain"})
            self.assertEqual(status, 200)
            self.assertEqual(server.get(BUCKET, "dir/a b+\u00e9.txt")[1], b"hello")
            self.assertEqual(http_request(urls["GET"])[::2], (200, b"hello"))
            status, headers, _ = http_request(urls["HEAD"], "HEAD")
            self.assertEqual((status, headers["content-length"]), (200, "5"))
            status, headers, _ = http_request(tamper_signature(urls["GET"]))
            self.assertEqual((status, headers.get("x-checker-error")),
                             (403, "SignatureDoesNotMatch"))
            self.assertEqual(http_request(urls["GET"], "DELETE")[0], 403)


# ---- credkit's URLs against the verifying checker -------------------------------------------

class CredkitAgainstChecker(PresignCase):

    def setUp(self):
        super().setUp()
        self.server = sigv4_checker.CheckerS3(
            {ACCESS_KEY: (SECRET_KEY, None), SESSION_KEY: (SESSION_SECRET, SESSION_TOKEN)},
            REGION)
        self.server.__enter__()
        self.addCleanup(self.server.__exit__, None, None, None)
        self.endpoint = ["--endpoint-url", self.server.endpoint]

    def assertRefused(self, url, method="GET", code=None, body=None, headers=None):
        status, reply, _ = http_request(url, method, body, headers)
        self.assertEqual(status, 403, f"{method} of an invalid URL was served: {url}")
        if code:
            self.assertEqual(reply.get("x-checker-error"), code, url)

    def test_put_get_head_delete_work_for_the_corpus_sample(self):
        keys = sample_keys() + presign_corpus.ascii_safe_keys()
        items = [(BUCKET, k) for k in keys]
        content_type = "application/x-vcf; charset=utf-8"
        puts = self.presign(items, *self.endpoint, "--method", "PUT",
                            "--content-type", content_type)
        gets = self.presign(items, *self.endpoint)
        heads = self.presign(items, *self.endpoint, "--method", "HEAD")
        deletes = self.presign(items, *self.endpoint, "--method", "DELETE")
        for n, key in enumerate(keys):
            body = f"object {n}: {key}".encode("utf-8")
            with self.subTest(key=key):
                status, reply, data = http_request(puts[n], "PUT", body,
                                                   {"Content-Type": content_type})
                self.assertEqual(status, 200, f"PUT {puts[n]}: {reply} {data[:300]!r}")
                stored = self.server.get(BUCKET, key)
                self.assertIsNotNone(stored, f"PUT stored nothing under {key!r}")
                self.assertEqual(stored[1:], (body, content_type))
        for n, key in enumerate(keys):
            body = f"object {n}: {key}".encode("utf-8")
            with self.subTest(key=key):
                status, reply, data = http_request(gets[n])
                self.assertEqual((status, data), (200, body), f"GET {gets[n]}: {data[:300]!r}")
                status, reply, data = http_request(heads[n], "HEAD")
                self.assertEqual(status, 200, f"HEAD {heads[n]}: {reply}")
                self.assertEqual(reply.get("content-length"), str(len(body)))
        for n, key in enumerate(keys):
            with self.subTest(key=key):
                self.assertEqual(http_request(deletes[n], "DELETE")[0], 204)
                self.assertIsNone(self.server.get(BUCKET, key))

    def test_session_credentials_carry_their_token(self):
        self.server.put(BUCKET, "token.txt", b"t")
        url, = self.presign([(BUCKET, "token.txt")], *self.endpoint, session=True)
        self.assertIn("X-Amz-Security-Token=", url)
        self.assertEqual(http_request(url)[::2], (200, b"t"))
        self.assertRefused(without_param(url, "X-Amz-Security-Token"), code="InvalidToken")

    def test_tampered_signature_is_refused(self):
        self.server.put(BUCKET, "a.txt", b"a")
        url, = self.presign([(BUCKET, "a.txt")], *self.endpoint)
        self.assertEqual(http_request(url)[0], 200)
        self.assertRefused(tamper_signature(url), code="SignatureDoesNotMatch")

    def test_tampered_key_or_parameters_are_refused(self):
        self.server.put(BUCKET, "a.txt", b"a")
        self.server.put(BUCKET, "b.txt", b"b")
        url, = self.presign([(BUCKET, "a.txt")], *self.endpoint,
                            "--response-content-type", "text/plain")
        self.assertEqual(http_request(url)[0], 200)
        self.assertRefused(url.replace("/a.txt?", "/b.txt?"), code="SignatureDoesNotMatch")
        self.assertRefused(url.replace("text%2Fplain", "text%2Fhtml"),
                           code="SignatureDoesNotMatch")
        self.assertRefused(url.replace("X-Amz-Expires=3600", "X-Amz-Expires=7200"),
                           code="SignatureDoesNotMatch")

    def test_expired_url_is_refused(self):
        self.server.put(BUCKET, "old.txt", b"old")
        now = int(time.time())
        expired, = self.presign([(BUCKET, "old.txt")], *self.endpoint,
                                at=rfc3339(now - 7200), expires="60s")
        self.assertRefused(expired, code="AccessDenied")
        still_valid, = self.presign([(BUCKET, "old.txt")], *self.endpoint,
                                    at=rfc3339(now - 30), expires="10m")
        self.assertEqual(http_request(still_valid)[::2], (200, b"old"))

    def test_wrong_method_is_refused(self):
        self.server.put(BUCKET, "m.txt", b"m")
        get, = self.presign([(BUCKET, "m.txt")], *self.endpoint)
        put, = self.presign([(BUCKET, "m.txt")], *self.endpoint, "--method", "PUT")
        head, = self.presign([(BUCKET, "m.txt")], *self.endpoint, "--method", "HEAD")
        self.assertRefused(get, "HEAD", code="SignatureDoesNotMatch")
        self.assertRefused(get, "PUT", body=b"overwrite", code="SignatureDoesNotMatch")
        self.assertRefused(get, "DELETE", code="SignatureDoesNotMatch")
        self.assertRefused(put, "GET", code="SignatureDoesNotMatch")
        self.assertRefused(head, "GET", code="SignatureDoesNotMatch")
        self.assertEqual(self.server.get(BUCKET, "m.txt")[1], b"m")

    def test_put_content_type_must_be_the_signed_one(self):
        url, = self.presign([(BUCKET, "ct.txt")], *self.endpoint, "--method", "PUT",
                            "--content-type", "text/plain")
        self.assertIn("X-Amz-SignedHeaders=content-type%3Bhost", url)
        self.assertRefused(url, "PUT", body=b"x", headers={"Content-Type": "text/html"},
                           code="SignatureDoesNotMatch")
        self.assertRefused(url, "PUT", body=b"x")  # no Content-Type at all
        self.assertIsNone(self.server.get(BUCKET, "ct.txt"))
        status, _, _ = http_request(url, "PUT", b"x", {"Content-Type": "text/plain"})
        self.assertEqual(status, 200)

    def test_response_overrides_and_version_id_reach_the_server(self):
        first = self.server.put(BUCKET, "report.csv", b"v1", "binary/octet-stream")
        self.server.put(BUCKET, "report.csv", b"v2", "binary/octet-stream")
        disposition = "attachment; filename=\"r\u00e9sum\u00e9 + notes (1).csv\""
        url, = self.presign([(BUCKET, "report.csv")], *self.endpoint, "--version-id", first,
                            "--response-content-type", "text/csv; charset=utf-8",
                            "--response-content-disposition", disposition,
                            "--response-cache-control", "no-store")
        status, headers, data = http_request(url)
        self.assertEqual((status, data), (200, b"v1"))
        self.assertEqual(headers["content-type"], "text/csv; charset=utf-8")
        self.assertEqual(headers["cache-control"], "no-store")
        self.assertEqual(headers["content-disposition"].encode("latin-1").decode("utf-8"),
                         disposition)


# ---- credkit's URLs against moto: the right objects -------------------------------------------

class MotoWithoutAuth(MotoServer):
    """moto_server on a free loopback port, authentication off (see the module docstring)."""

    def client(self):
        import boto3
        from botocore.config import Config

        return boto3.client("s3", region_name=REGION, endpoint_url=self.endpoint,
                            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                            config=Config(signature_version="s3v4",
                                          s3={"addressing_style": "path"},
                                          retries={"max_attempts": 1}))


class CredkitAgainstMoto(PresignCase):

    def test_urls_reach_the_objects_boto3_sees(self):
        keys = sample_keys(per_group=8) + presign_corpus.ascii_safe_keys()
        with MotoWithoutAuth(self.home) as moto:
            s3 = moto.client()
            s3.create_bucket(Bucket=BUCKET)
            for n, key in enumerate(keys):
                s3.put_object(Bucket=BUCKET, Key=key, Body=f"boto3 {n}".encode())
            endpoint = ["--endpoint-url", moto.endpoint]
            items = [(BUCKET, k) for k in keys]
            gets = self.presign(items, *endpoint)
            heads = self.presign(items, *endpoint, "--method", "HEAD")
            uploads = [(BUCKET, "uploaded/" + k) for k in keys]
            puts = self.presign(uploads, *endpoint, "--method", "PUT",
                                "--content-type", "text/plain")
            for n, key in enumerate(keys):
                with self.subTest(key=key):
                    status, _, data = http_request(gets[n])
                    self.assertEqual((status, data), (200, f"boto3 {n}".encode()), gets[n])
                    status, headers, _ = http_request(heads[n], "HEAD")
                    self.assertEqual(status, 200, heads[n])
                    self.assertEqual(headers.get("content-length"),
                                     str(len(f"boto3 {n}".encode())))
                    body = f"credkit {n}".encode()
                    status, _, data = http_request(puts[n], "PUT", body,
                                                   {"Content-Type": "text/plain"})
                    self.assertEqual(status, 200, f"{puts[n]}: {data[:300]!r}")
            listed = set()
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET,
                                                                     Prefix="uploaded/"):
                listed.update(o["Key"] for o in page.get("Contents", []))
            self.assertEqual(listed, {k for _, k in uploads},
                             "the PUT URLs stored objects under other keys")
            for n, (_, key) in enumerate(uploads):
                with self.subTest(uploaded=key):
                    got = s3.get_object(Bucket=BUCKET, Key=key)
                    self.assertEqual(got["Body"].read(), f"credkit {n}".encode())
                    self.assertEqual(got["ContentType"], "text/plain")


if __name__ == "__main__":
    unittest.main()
