"""`credkit presign` agrees byte for byte with botocore's generate_presigned_url.

botocore is the oracle. It runs in a subprocess with its clock frozen and the credentials given
explicitly, over the whole key corpus (presign_corpus.py) in each configuration below; credkit
gets the same keys through `-i` (one process per configuration) and `--at`, and the outputs are
compared line by line. On a mismatch the failure names the kind of difference (host, path,
query, query order, signature only), shows the first few keys with both URLs, and says whether
an independent SigV4 verifier (sigv4_checker.py) accepts credkit's URL anyway.

What botocore 1.43 does, read from its source (botocore/auth.py, signers.py, utils.py,
handlers.py, client.py) and confirmed by running it:
- The signing time is `get_current_datetime()` from botocore.compat, imported into
  botocore.auth by name and called by SigV4Auth.add_auth (which S3SigV4QueryAuth inherits).
  The oracle replaces botocore.auth.get_current_datetime (and botocore.compat's, for safety).
- Without a configured signature version, botocore presigns S3 with SigV2
  (`AWSAccessKeyId=...&Signature=...&Expires=...`, client.py _default_s3_presign_to_sigv2) in
  every region that still accepts it (us-east-1, eu-west-1, ...); only v4-only regions such as
  cn-north-1 get SigV4. So the oracle always sets Config(signature_version='s3v4'): that is
  the SigV4 URL a boto3 user gets by asking for it, and the one credkit's output must equal.
- Default host choice (credkit --botocore-compat), partition `aws` only: a bucket that is a
  valid host label (letters of either case, digits, '-', not at either end; no dots, no '_')
  is resolved against the global endpoint s3.amazonaws.com whatever the region, then made
  virtual-hosted (BUCKET.s3.amazonaws.com) if it is also DNS-compatible (3..63 characters,
  lowercase) and left path-style on s3.amazonaws.com if not (e.g. 'MyBucket' in eu-west-1 ->
  https://s3.amazonaws.com/MyBucket/KEY). Any other bucket (dotted, '_') gets path style on
  the regional endpoint s3.REGION.amazonaws.com. China and GovCloud never use a global host.
- addressing_style 'virtual' (credkit's `auto`): BUCKET.s3.REGION.amazonaws.com, or path
  style on s3.REGION.amazonaws.com for buckets that are not DNS-compatible. In us-east-1
  botocore's legacy default host is s3.amazonaws.com; the regional s3.us-east-1.amazonaws.com
  that SPEC.md describes is botocore with s3 us_east_1_regional_endpoint='regional'.
- A custom endpoint gets path style, keeps its path prefix (one trailing '/' dropped), and
  keeps an explicit default port in the URL (not in the signed host).
- PUT with ContentType: SigV4 signs it as a header (X-Amz-SignedHeaders=content-type%3Bhost);
  it is not a query parameter. (With the SigV2 default it becomes a `content-type=` query
  parameter instead.)
- Response overrides and VersionId are query parameters placed before the X-Amz-* ones in
  the order of the caller's Params dict -- not sorted. SPEC.md says credkit sorts them by
  query name, so the oracle passes them in that order (response-cache-control,
  response-content-disposition, response-content-encoding, response-content-language,
  response-content-type, response-expires, versionId): the URL a boto3 caller gets with
  Params written in that order.
- ResponseExpires is a timestamp: botocore turns any accepted form (ISO 8601 too) into an
  RFC 7231 date (`Wed, 21 Oct 2015 07:28:00 GMT`) before encoding it.
"""

import calendar
import time
import json
import os
import subprocess
import sys
import unittest
import urllib.parse

import presign_corpus
import sigv4_checker
from credkit_test import BIN, CredkitTestCase

ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
# Base64-looking, as real tokens are: '+', '/' and '=' must be encoded in the query.
SESSION_TOKEN = ("IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+token/with+"
                 "slashes/and+plus==")
AT = "2013-05-24T00:00:00Z"
BUCKET = "examplebucket"

# Response overrides in the order SPEC.md puts them (sorted by query name): botocore keeps the
# order of its Params, so it is given them in this order.
RESPONSE_PARAMS = [
    ("--response-cache-control", "ResponseCacheControl", "no-cache, no-store, max-age=0"),
    ("--response-content-disposition", "ResponseContentDisposition",
     "attachment; filename=\"na\u00efve r\u00e9sum\u00e9 (1)+2.txt\"; "
     "filename*=UTF-8''na%C3%AFve%20r%C3%A9sum%C3%A9.txt"),
    ("--response-content-encoding", "ResponseContentEncoding", "gzip"),
    ("--response-content-language", "ResponseContentLanguage", "de-CH, en;q=0.5"),
    ("--response-content-type", "ResponseContentType", "text/plain; charset=utf-8"),
    ("--response-expires", "ResponseExpires", "Thu, 01 Dec 1994 16:00:00 GMT"),
    ("--version-id", "VersionId", "3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nrjfkd"),
]

# Bucket names for the host fallbacks: DNS-compatible, dotted, not DNS-compatible (uppercase,
# underscore, IP-like), and the edges of the host-label rules.
BUCKETS = ["examplebucket", "abc", "a" * 63, "ex--ample", "xn--example", "my.dotted.bucket",
           "MyBucket", "UPPERCASE", "my_bucket", "192.168.5.4", "Mixed_Case.dots"]

ORACLE = r'''
import datetime, json, sys
import botocore.auth, botocore.compat, boto3
from botocore.config import Config

jobs = json.load(sys.stdin)
clients = {}
results = {}
for job in jobs:
    at = datetime.datetime.strptime(job["at"], "%Y-%m-%dT%H:%M:%SZ")
    frozen = lambda remove_tzinfo=True, at=at: (
        at if remove_tzinfo else at.replace(tzinfo=datetime.timezone.utc))
    botocore.auth.get_current_datetime = frozen
    botocore.compat.get_current_datetime = frozen
    ident = json.dumps([job["region"], job["s3"], job["endpoint_url"], job["token"]])
    if ident not in clients:
        clients[ident] = boto3.session.Session().client(
            "s3", region_name=job["region"], endpoint_url=job["endpoint_url"],
            aws_access_key_id=job["access_key"], aws_secret_access_key=job["secret_key"],
            aws_session_token=job["token"],
            config=Config(signature_version="s3v4", s3=job["s3"] or None))
    client = clients[ident]
    urls = []
    for bucket, key in job["items"]:
        params = {"Bucket": bucket, "Key": key}
        params.update(job["params"])
        try:
            urls.append(client.generate_presigned_url(
                job["operation"], Params=params, ExpiresIn=job["expires"]))
        except Exception as error:
            urls.append("ERROR " + type(error).__name__ + ": " + str(error))
    results[job["id"]] = urls
json.dump(results, sys.stdout)
'''


def botocore_presign(jobs):
    """Runs botocore over `jobs` in one subprocess; returns {job id: [url, ...]}.

    A job: {id, region, items: [(bucket, key)], and optionally s3 (botocore's s3 config),
    endpoint_url, token, at (RFC 3339, default AT), expires (default 3600), operation
    (default get_object), params (extra Params, in order)}."""
    full = []
    for job in jobs:
        full.append({
            "id": job["id"], "region": job["region"], "s3": job.get("s3") or {},
            "endpoint_url": job.get("endpoint_url"), "token": job.get("token"),
            "access_key": job.get("access_key", ACCESS_KEY),
            "secret_key": job.get("secret_key", SECRET_KEY), "at": job.get("at", AT),
            "expires": job.get("expires", 3600),
            "operation": job.get("operation", "get_object"),
            "params": job.get("params") or {}, "items": [list(i) for i in job["items"]],
        })
    # Four processes share the jobs: a boto3 client costs a few hundred milliseconds.
    chunks = [full[n::4] for n in range(4)]
    processes = [subprocess.Popen([sys.executable, "-c", ORACLE], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for chunk in chunks if chunk]
    results = {}
    for process, chunk in zip(processes, chunks):
        out, err = process.communicate(json.dumps(chunk), timeout=120)
        if process.returncode != 0:
            raise RuntimeError("the botocore oracle failed: " + err[-2000:])
        results.update(json.loads(out))
    return results


def epoch(rfc3339):
    return calendar.timegm(time.strptime(rfc3339, "%Y-%m-%dT%H:%M:%SZ"))


def short(text, limit=700):
    if len(text) <= limit:
        return text
    return text[:limit // 2] + f" ...[{len(text) - limit} chars]... " + text[-limit // 2:]


def difference(ours, theirs):
    """What kind of difference two URLs have."""
    a = urllib.parse.urlsplit(ours)
    b = urllib.parse.urlsplit(theirs)
    kinds = []
    if (a.scheme, a.netloc) != (b.scheme, b.netloc):
        kinds.append("host")
    if a.path != b.path:
        kinds.append("path")
    qa = [p for p in a.query.split("&") if not p.startswith("X-Amz-Signature=")]
    qb = [p for p in b.query.split("&") if not p.startswith("X-Amz-Signature=")]
    if qa != qb:
        kinds.append("query order" if sorted(qa) == sorted(qb) else "query")
    return "+".join(kinds) or "signature only"


class Run:
    """One credkit invocation over a list of (bucket, key) items."""

    def __init__(self, returncode, urls, stderr, command):
        self.returncode = returncode
        self.urls = urls
        self.stderr = stderr
        self.command = command


class PresignAgainstBotocore(CredkitTestCase):
    maxDiff = None
    oracle = {}

    # -- the configurations ----------------------------------------------------------------

    @staticmethod
    def corpus_items(bucket=BUCKET):
        return [(bucket, key) for key in presign_corpus.keys()]

    @staticmethod
    def sample_items(buckets, per_group=3):
        """A few keys of every corpus group, for each bucket."""
        chosen, seen = [], {}
        for group, key in presign_corpus.grouped():
            if seen.get(group, 0) < per_group:
                seen[group] = seen.get(group, 0) + 1
                chosen.append(key)
        return [(bucket, key) for bucket in buckets for key in chosen]

    @classmethod
    def jobs(cls):
        corpus = cls.corpus_items()
        response = {name: value for _, name, value in RESPONSE_PARAMS}
        jobs = [
            dict(id="a-us-east-1", region="us-east-1", items=corpus, expires=86400),
            dict(id="a-eu-west-1", region="eu-west-1", items=corpus),
            dict(id="b-virtual-eu-west-1-token", region="eu-west-1", items=corpus,
                 s3={"addressing_style": "virtual"}, token=SESSION_TOKEN),
            dict(id="b-virtual-us-east-1-regional", region="us-east-1", items=corpus,
                 s3={"addressing_style": "virtual", "us_east_1_regional_endpoint": "regional"}),
            dict(id="c-endpoint-path", region="us-east-1", items=corpus,
                 s3={"addressing_style": "path"}, endpoint_url="http://127.0.0.1:9000/prefix"),
            dict(id="d-put-content-type", region="us-east-1", items=corpus, operation="put_object",
                 params={"ContentType": "text/plain; charset=utf-8"}),
            dict(id="d-put-plain", region="eu-west-1", items=corpus, operation="put_object",
                 s3={"addressing_style": "virtual"}),
            dict(id="d-head", region="us-east-1", items=corpus, operation="head_object"),
            dict(id="d-delete", region="us-east-1", items=corpus, operation="delete_object"),
            dict(id="e-response-params", region="us-east-1", items=corpus, params=response),
            dict(id="g-cn-north-1", region="cn-north-1", items=corpus),
            dict(id="h-other-time-token", region="eu-west-1", items=corpus,
                 s3={"addressing_style": "virtual"}, token=SESSION_TOKEN,
                 at="2024-02-29T23:59:59Z", expires=604800),
            dict(id="i-args", region="us-east-1",
                 items=cls.sample_items([BUCKET]) + [(BUCKET, k)
                                                     for k in presign_corpus.newline_keys()]),
        ]
        buckets = cls.sample_items(BUCKETS, per_group=2)
        for region in ("us-east-1", "eu-west-1", "cn-north-1"):
            jobs.append(dict(id=f"f-compat-{region}", region=region, items=buckets))
            jobs.append(dict(id=f"f-auto-{region}", region=region, items=buckets,
                             s3={"addressing_style": "virtual",
                                 "us_east_1_regional_endpoint": "regional"}))
            jobs.append(dict(id=f"f-path-{region}", region=region, items=buckets,
                             s3={"addressing_style": "path",
                                 "us_east_1_regional_endpoint": "regional"}))
        more = cls.sample_items(["examplebucket", "MyBucket", "my.dotted.bucket"], per_group=1)
        for region in ("ap-east-1", "il-central-1", "cn-northwest-1", "us-gov-west-1"):
            jobs.append(dict(id=f"r-compat-{region}", region=region, items=more))
            jobs.append(dict(id=f"r-auto-{region}", region=region, items=more,
                             s3={"addressing_style": "virtual",
                                 "us_east_1_regional_endpoint": "regional"}))
        one = [(BUCKET, "dir/a b+c.txt"), ("my.dotted.bucket", "\u6f22/\U0001f600")]
        for n, endpoint in enumerate(ENDPOINTS):
            jobs.append(dict(id=f"c-endpoint-{n}", region="us-east-1", items=one,
                             s3={"addressing_style": "path"}, endpoint_url=endpoint))
        for text, seconds in EXPIRES:
            jobs.append(dict(id=f"x-expires-{text}", region="us-east-1", expires=seconds,
                             items=[(BUCKET, "photos/2013/05/24.jpg")]))
        for n, (_, name, value) in enumerate(RESPONSE_PARAMS):
            jobs.append(dict(id=f"e-single-{n}", region="eu-west-1", params={name: value},
                             s3={"addressing_style": "virtual"},
                             items=[(BUCKET, "a b/\u00e9.txt")]))
        jobs.append(dict(id="e-expires-iso", region="us-east-1",
                         params={"ResponseExpires": "2015-10-21T07:28:00Z"},
                         items=[(BUCKET, "k")]))
        jobs.append(dict(id="i-nul", region="us-east-1",
                         items=[(BUCKET, "a\x00b"), (BUCKET, "\x00"), (BUCKET, "nul/\x00/end")]))
        jobs.append(dict(id="vector", region="us-east-1", expires=86400,
                         items=[("examplebucket", "test.txt")]))
        return jobs

    @classmethod
    def setUpClass(cls):
        cls.oracle = botocore_presign(cls.jobs())
        cls.job_by_id = {job["id"]: job for job in cls.jobs()}

    # -- running credkit -----------------------------------------------------------------------

    def run_credkit(self, items, args, *, token=None, mode="file", at=AT, expires="3600",
                    final_newline=True):
        """Runs `credkit presign` once over `items`; mode: file (-i FILE), stdin (-i -),
        bare (--bucket B and bare keys on stdin) or args (s3:// arguments)."""
        env = dict(self.env, AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY)
        if token:
            env["AWS_SESSION_TOKEN"] = token
        command = [BIN, "presign", "--source", "env", "--at", at, "--expires", expires, *args]
        stdin = None
        lines = b"".join(f"s3://{b}/{k}\n".encode("utf-8") for b, k in items)
        if not final_newline:
            lines = lines[:-1]
        if mode == "file":
            path = self.path("keys.txt")
            with open(path, "wb") as f:
                f.write(lines)
            command += ["-i", path]
        elif mode == "stdin":
            command += ["-i", "-"]
            stdin = lines
        elif mode == "bare":
            buckets = {b for b, _ in items}
            self.assertEqual(len(buckets), 1)
            command += ["--bucket", buckets.pop(), "-i", "-"]
            stdin = b"".join(k.encode("utf-8") + b"\n" for _, k in items)
        elif mode == "args":
            command += [f"s3://{b}/{k}" for b, k in items]
        result = subprocess.run(command, input=stdin, env=env, capture_output=True, timeout=60)
        stdout = result.stdout.decode("utf-8", "replace")
        urls = stdout.split("\n")
        if urls and urls[-1] == "":
            urls.pop()
        return Run(result.returncode, urls, result.stderr.decode("utf-8", "replace"),
                   " ".join(command[1:]))

    def assertAgrees(self, job_id, args, *, mode="file", expires=None, headers=None,
                     items=None, expected=None, what=None, final_newline=True):
        """Runs credkit for the oracle job `job_id` with `args` and fails with a report of
        every kind of difference found."""
        job = self.job_by_id[job_id]
        items = items if items is not None else job["items"]
        expected = expected if expected is not None else self.oracle[job_id]
        what = what or job_id
        run = self.run_credkit(items, args, token=job.get("token"), mode=mode,
                               at=job.get("at", AT),
                               expires=expires or str(job.get("expires", 3600)),
                               final_newline=final_newline)
        if run.returncode != 0:
            self.fail(f"[{what}] credkit presign does not support this configuration yet: "
                      f"exit {run.returncode}\n  command: credkit {short(run.command, 300)}\n"
                      f"  stderr: {short(run.stderr.strip(), 600)}")
        skipped = [i for i, url in enumerate(expected) if url.startswith("ERROR ")]
        self.assertLess(len(skipped), len(expected), f"[{what}] botocore made no URL: "
                        f"{expected[0]}")
        if len(run.urls) != len(items):
            self.fail(f"[{what}] credkit printed {len(run.urls)} lines for {len(items)} inputs "
                      f"(a key split or dropped?)\n  stderr: {short(run.stderr.strip(), 600)}\n"
                      + self._first_misalignment(items, run.urls, expected))
        verifier = sigv4_checker.Verifier(
            {ACCESS_KEY: (SECRET_KEY, job.get("token"))}, job["region"])
        now = epoch(job.get("at", AT))
        kinds = {}
        for index, ((bucket, key), ours, theirs) in enumerate(zip(items, run.urls, expected)):
            if index in skipped or ours == theirs:
                continue
            kinds.setdefault(difference(ours, theirs), []).append((bucket, key, ours, theirs))
        if not kinds:
            return
        total = sum(len(v) for v in kinds.values())
        report = [f"[{what}] {total} of {len(items) - len(skipped)} URLs differ from botocore's "
                  f"(credkit {short(run.command, 200)})"]
        method = {"get_object": "GET", "put_object": "PUT", "head_object": "HEAD",
                  "delete_object": "DELETE"}[job.get("operation", "get_object")]
        for kind, cases in sorted(kinds.items(), key=lambda kv: -len(kv[1])):
            report.append(f"-- {kind}: {len(cases)} keys")
            for bucket, key, ours, theirs in cases[:3]:
                verdict = verifier.verify_url(method, ours, now, headers)
                judged = ("the SigV4 checker accepts credkit's URL" if verdict
                          else f"the SigV4 checker rejects credkit's URL: {verdict.code} "
                               f"({verdict.message})")
                report.append(f"   bucket {bucket!r} key {short(repr(key), 200)}\n"
                              f"     credkit:  {short(ours)}\n"
                              f"     botocore: {short(theirs)}\n"
                              f"     {judged}")
        self.fail("\n".join(report))

    @staticmethod
    def _first_misalignment(items, ours, theirs):
        for index, (a, b) in enumerate(zip(ours, theirs)):
            if a != b:
                return (f"  first difference at line {index + 1}, input {items[index]!r}:\n"
                        f"     credkit:  {short(a)}\n     botocore: {short(b)}")
        return "  (all common lines agree; the extra or missing lines are at the end)"

    # -- the oracle itself ---------------------------------------------------------------------

    def test_oracle_reproduces_the_aws_documentation_example(self):
        """The frozen clock works: botocore gives the S3 documentation's signature."""
        url = self.oracle["vector"][0]
        self.assertTrue(url.startswith("https://examplebucket.s3.amazonaws.com/test.txt?"), url)
        self.assertIn("X-Amz-Date=20130524T000000Z", url)
        self.assertTrue(url.endswith("&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330d"
                                     "a4c265957d157751f604d404"), url)

    def test_corpus_is_large_and_stable(self):
        keys = presign_corpus.keys()
        self.assertGreaterEqual(len(keys), 500)
        self.assertEqual(keys, presign_corpus.keys())
        self.assertTrue(any(len(k.encode("utf-8")) == 1024 for k in keys))
        self.assertFalse(any("\n" in k for k in keys))

    def test_aws_documentation_example(self):
        self.assertAgrees("vector", ["--botocore-compat", "--region", "us-east-1"])

    # -- (a) botocore's default host choice -------------------------------------------------------

    def test_a_botocore_compat_us_east_1(self):
        self.assertAgrees("a-us-east-1", ["--botocore-compat", "--region", "us-east-1"])

    def test_a_botocore_compat_eu_west_1_global_host(self):
        self.assertAgrees("a-eu-west-1", ["--botocore-compat", "--region", "eu-west-1"])

    # -- (b) virtual-hosted regional, the default `auto` ---------------------------------------

    def test_b_auto_virtual_regional_eu_west_1_with_session_token(self):
        self.assertAgrees("b-virtual-eu-west-1-token", ["--region", "eu-west-1"])

    def test_b_explicit_virtual_eu_west_1_with_session_token(self):
        self.assertAgrees("b-virtual-eu-west-1-token",
                          ["--region", "eu-west-1", "--addressing-style", "virtual"])

    def test_b_auto_us_east_1_is_regional(self):
        """SPEC: auto is https://BUCKET.s3.REGION.amazonaws.com, us-east-1 included."""
        self.assertAgrees("b-virtual-us-east-1-regional", ["--region", "us-east-1"])

    # -- (c) custom endpoint ---------------------------------------------------------------------

    def test_c_endpoint_url_with_prefix_explicit_path_style(self):
        self.assertAgrees("c-endpoint-path",
                          ["--region", "us-east-1", "--endpoint-url",
                           "http://127.0.0.1:9000/prefix", "--addressing-style", "path"])

    def test_c_endpoint_url_with_prefix_auto_is_path_style(self):
        self.assertAgrees("c-endpoint-path",
                          ["--region", "us-east-1", "--endpoint-url",
                           "http://127.0.0.1:9000/prefix"])

    def test_c_endpoint_url_with_prefix_botocore_compat(self):
        self.assertAgrees("c-endpoint-path",
                          ["--botocore-compat", "--region", "us-east-1", "--endpoint-url",
                           "http://127.0.0.1:9000/prefix"])

    def test_c_endpoint_url_shapes(self):
        """Trailing slashes, explicit default ports, IPv6, nested prefixes."""
        failures = []
        for n, endpoint in enumerate(ENDPOINTS):
            try:
                self.assertAgrees(f"c-endpoint-{n}",
                                  ["--region", "us-east-1", "--endpoint-url", endpoint],
                                  what=f"endpoint {endpoint}")
            except AssertionError as error:
                failures.append(str(error))
        if failures:
            self.fail("\n".join(failures))

    # -- (d) methods -------------------------------------------------------------------------------

    def test_d_put_with_content_type_is_a_signed_header(self):
        self.assertAgrees("d-put-content-type",
                          ["--botocore-compat", "--region", "us-east-1", "--method", "PUT",
                           "--content-type", "text/plain; charset=utf-8"],
                          headers={"content-type": "text/plain; charset=utf-8"})

    def test_d_put_without_content_type(self):
        self.assertAgrees("d-put-plain", ["--region", "eu-west-1", "--method", "PUT"])

    def test_d_head(self):
        self.assertAgrees("d-head", ["--botocore-compat", "--region", "us-east-1",
                                     "--method", "HEAD"])

    def test_d_delete(self):
        self.assertAgrees("d-delete", ["--botocore-compat", "--region", "us-east-1",
                                       "--method", "DELETE"])

    # -- (e) response overrides and version id ----------------------------------------------------

    def test_e_all_response_parameters_and_version_id(self):
        args = ["--botocore-compat", "--region", "us-east-1"]
        # Given to credkit in an order of their own: the URL order must not depend on it.
        for option, _, value in reversed(RESPONSE_PARAMS):
            args += [option, value]
        self.assertAgrees("e-response-params", args)

    def test_e_each_response_parameter_alone(self):
        failures = []
        for n, (option, name, value) in enumerate(RESPONSE_PARAMS):
            try:
                self.assertAgrees(f"e-single-{n}", ["--region", "eu-west-1", option, value],
                                  what=f"{option} alone")
            except AssertionError as error:
                failures.append(str(error))
        if failures:
            self.fail("\n".join(failures))

    def test_e_response_expires_given_in_iso8601(self):
        """botocore takes ResponseExpires as a timestamp and sends it as an HTTP date."""
        self.assertAgrees("e-expires-iso", ["--botocore-compat", "--region", "us-east-1",
                                            "--response-expires", "2015-10-21T07:28:00Z"])

    # -- host fallbacks for bucket names, regions, China ------------------------------------------

    def _buckets(self, mode, region, args):
        self.assertAgrees(f"f-{mode}-{region}", ["--region", region, *args],
                          what=f"buckets, {mode}, {region}")

    def test_f_buckets_botocore_compat_us_east_1(self):
        self._buckets("compat", "us-east-1", ["--botocore-compat"])

    def test_f_buckets_botocore_compat_eu_west_1(self):
        self._buckets("compat", "eu-west-1", ["--botocore-compat"])

    def test_f_buckets_botocore_compat_cn_north_1(self):
        self._buckets("compat", "cn-north-1", ["--botocore-compat"])

    def test_f_buckets_auto_us_east_1(self):
        self._buckets("auto", "us-east-1", [])

    def test_f_buckets_auto_eu_west_1(self):
        self._buckets("auto", "eu-west-1", [])

    def test_f_buckets_auto_cn_north_1(self):
        self._buckets("auto", "cn-north-1", [])

    def test_f_buckets_explicit_virtual_falls_back_like_botocore(self):
        failures = []
        for region in ("us-east-1", "eu-west-1", "cn-north-1"):
            try:
                self.assertAgrees(f"f-auto-{region}", ["--region", region,
                                                       "--addressing-style", "virtual"],
                                  what=f"buckets, --addressing-style virtual, {region}")
            except AssertionError as error:
                failures.append(str(error))
        if failures:
            self.fail("\n".join(failures))

    def test_f_buckets_path_style(self):
        failures = []
        for region in ("us-east-1", "eu-west-1", "cn-north-1"):
            try:
                self.assertAgrees(f"f-path-{region}", ["--region", region,
                                                       "--addressing-style", "path"],
                                  what=f"buckets, --addressing-style path, {region}")
            except AssertionError as error:
                failures.append(str(error))
        if failures:
            self.fail("\n".join(failures))

    def test_g_china_region_whole_corpus(self):
        self.assertAgrees("g-cn-north-1", ["--botocore-compat", "--region", "cn-north-1"])

    def test_g_china_region_whole_corpus_auto(self):
        self.assertAgrees("g-cn-north-1", ["--region", "cn-north-1"])

    def test_r_other_regions_and_partitions(self):
        """Opt-in regions (global host in compat mode), China's second region, GovCloud."""
        failures = []
        for region in ("ap-east-1", "il-central-1", "cn-northwest-1", "us-gov-west-1"):
            for mode, args in (("compat", ["--botocore-compat"]), ("auto", [])):
                try:
                    self.assertAgrees(f"r-{mode}-{region}", ["--region", region, *args],
                                      what=f"{mode}, {region}")
                except AssertionError as error:
                    failures.append(str(error))
        if failures:
            self.fail("\n".join(failures))

    # -- time, expiry, session token ---------------------------------------------------------------

    def test_h_other_time_seven_days_session_token(self):
        self.assertAgrees("h-other-time-token", ["--region", "eu-west-1"], expires="7d")

    def test_x_expires_durations(self):
        failures = []
        for text, _ in EXPIRES:
            try:
                self.assertAgrees(f"x-expires-{text}",
                                  ["--botocore-compat", "--region", "us-east-1"],
                                  expires=text, what=f"--expires {text}")
            except AssertionError as error:
                failures.append(str(error))
        if failures:
            self.fail("\n".join(failures))

    def test_x_expires_out_of_range_is_a_usage_error(self):
        for text in ("0", "604801", "8d", "-1", "1h-", ""):
            with self.subTest(expires=text):
                run = self.run_credkit([(BUCKET, "k")], ["--region", "us-east-1"],
                                       expires=text)
                self.assertEqual(run.returncode, 2, f"--expires {text!r}: exit "
                                 f"{run.returncode}, stdout {run.urls}, stderr {run.stderr}")
                self.assertEqual(run.urls, [])

    # -- other ways to give the keys ---------------------------------------------------------------

    def test_i_keys_as_arguments_including_newlines(self):
        self.assertAgrees("i-args", ["--botocore-compat", "--region", "us-east-1"],
                          mode="args")

    def test_i_keys_on_stdin(self):
        self.assertAgrees("a-us-east-1", ["--botocore-compat", "--region", "us-east-1"],
                          mode="stdin")

    def test_i_last_line_without_newline(self):
        self.assertAgrees("a-eu-west-1", ["--botocore-compat", "--region", "eu-west-1"],
                          final_newline=False)

    def test_i_nul_in_keys_read_with_input_file(self):
        """NUL is valid UTF-8 and so a valid key; -i can carry it (arguments cannot)."""
        self.assertAgrees("i-nul", ["--botocore-compat", "--region", "us-east-1"])

    def test_i_bare_keys_with_bucket_option(self):
        items = self.job_by_id["a-eu-west-1"]["items"]
        keep = [i for i, (_, key) in enumerate(items) if not key.startswith("s3://")]
        self.assertAgrees("a-eu-west-1", ["--botocore-compat", "--region", "eu-west-1"],
                          mode="bare", items=[items[i] for i in keep],
                          expected=[self.oracle["a-eu-west-1"][i] for i in keep])


ENDPOINTS = [
    "http://127.0.0.1:9000/prefix/",
    "http://127.0.0.1:9000",
    "http://localhost:9000/",
    "http://127.0.0.1:80/prefix",
    "https://127.0.0.1:443",
    "https://minio.internal:9443/a/b",
    "http://[::1]:9000",
]

EXPIRES = [("1", 1), ("90s", 90), ("15m", 900), ("1h30m", 5400), ("7d", 604800),
           ("604800", 604800)]


if __name__ == "__main__":
    unittest.main()
