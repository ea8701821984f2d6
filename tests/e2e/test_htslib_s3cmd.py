"""htslib (`tabix`, `bcftools`) and s3cmd read a VCF from S3 with nothing but the files
`credkit write-s3cfg` wrote from mock-imds, against a local moto S3 that checks every signature
and session token (s3_fixture.py). mock-imds serves keys moto issued (--credentials-file), so a
wrong or revoked key is really refused.

The long-read test proves htslib's refresh from an AWS credentials file (REFERENCE.md section 3):
before each new HTTP request, when `expiry_time` is less than 60 s away, htslib re-reads the
file. htslib 1.16 streams a file in one request and makes a new one only for a seek (back, or
more than 1 MB ahead), so the test reads two regions far apart, chr3 then chr1, and holds the
reader between them by not draining its output pipe. While it waits, credkit rewrites the file
with the next keys and the first keys are revoked; the seek to chr1 must be signed with the new
keys. A control test without the near expiry shows the same read failing, so the pass is owed
to the re-read and not to a request made before the revocation.
"""

import calendar
import json
import os
import re
import subprocess
import tempfile
import threading
import time
import unittest

from credkit_test import CredkitTestCase, MockImds, clean_env, read
from s3_fixture import (REGION, MotoS3, S3Keys, make_vcf, tools_missing,
                        write_credentials_file, write_s3cfg)

# Enough records that each contig fills many BGZF blocks and one contig's output (about
# 1.5 MB) far exceeds a pipe's buffer, so an undrained reader blocks inside a region.
RECORDS_PER_CONTIG = 20000
REGION_QUERY = "chr2:20000-60000"

# htslib re-reads the credentials file when expiry_time is closer than this (hfile_s3.c).
HTSLIB_REFRESH_WINDOW = 60

_s3 = None
_workdir = None


def setUpModule():
    global _s3, _workdir
    missing = tools_missing()
    if missing:
        raise unittest.SkipTest(f"not installed: {', '.join(missing)}")
    _workdir = tempfile.TemporaryDirectory(prefix="credkit-s3-")
    vcf = make_vcf(_workdir.name, records=RECORDS_PER_CONTIG)
    _s3 = MotoS3(_workdir.name, vcf).__enter__()


def tearDownModule():
    if _s3 is not None:
        _s3.__exit__(None, None, None)
    if _workdir is not None:
        _workdir.cleanup()


def ini_values(text):
    """{key: value} of the `key = value` lines of a one-section file; comments skipped."""
    values = {}
    for line in text.splitlines():
        if line.startswith(("#", ";", "[")) or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip()
    return values


def expiry_of(credentials_file):
    """expiry_time of a credentials file, as seconds since the epoch."""
    text = ini_values(read(credentials_file))["expiry_time"]
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))


class S3TestCase(CredkitTestCase):
    """The shared moto S3, mock-imds serving its keys, and credkit write-s3cfg in between."""

    def setUp(self):
        super().setUp()
        self.s3 = _s3

    def serve(self, *keys, args=()):
        """mock-imds serving `keys` in turn (one per rotation), for a `with` block."""
        keys_file = self.path(f"imds-keys-{keys[0].access_key_id}.json")
        with open(keys_file, "w") as f:
            json.dump([k.imds_entry() for k in keys], f)
        return MockImds("--credentials-file", keys_file, *args)

    def write_s3cfg(self, imds, *extra, output=None, env=None):
        """Runs `credkit write-s3cfg` for this server; fails the test unless it succeeds."""
        output = output or self.path("s3cfg")
        result = self.credkit("write-s3cfg", "-o", output, "--imds-endpoint", imds.endpoint,
                              "--host-base", self.s3.host_base, "--host-bucket",
                              self.s3.host_base, "--bucket-location", REGION, *extra, env=env)
        self.assertExit(result, 0)
        return output

    def run_dir(self):
        """A fresh working directory for an htslib tool (tabix keeps downloaded indexes in its
        working directory, and a kept index would hide a request)."""
        return tempfile.mkdtemp(dir=self.home)

    def assertRefusedByMoto(self, result, mark):
        """The tool failed, printed no records, and moto refused its request (403, or 400 for a
        bad token), so it did not fail for another reason."""
        self.assertNotEqual(result.returncode, 0, result.stdout[:200])
        self.assertEqual(result.stdout, "")
        refused = {s for s in self.s3.object_gets(since=mark) if 400 <= s < 500}
        self.assertTrue(refused, "moto refused nothing: the read failed for another reason\n"
                                 + result.stderr)


class HtslibReadsTheS3cfgCredkitWrote(S3TestCase):
    def test_tabix_reads_a_region_with_only_the_s3cfg_credkit_wrote(self):
        keys = self.s3.make_session_keys()
        with self.serve(keys) as imds:
            s3cfg = self.write_s3cfg(imds)

        result = self.s3.tabix(clean_env(self.home, HTS_S3_S3CFG=s3cfg), self.run_dir(),
                               REGION_QUERY)

        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertTrue(result.stdout)
        self.assertEqual(result.stdout, self.s3.vcf.region(REGION_QUERY))

    def test_bcftools_view_reads_a_region_with_only_the_s3cfg_credkit_wrote(self):
        keys = self.s3.make_session_keys()
        with self.serve(keys) as imds:
            s3cfg = self.write_s3cfg(imds)
        expected = subprocess.run(["bcftools", "view", "-H", "-r", REGION_QUERY,
                                   self.s3.vcf.path], capture_output=True, text=True,
                                  check=True, timeout=60).stdout

        result = self.s3.bcftools_view(clean_env(self.home, HTS_S3_S3CFG=s3cfg),
                                       self.run_dir(), REGION_QUERY)

        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertTrue(result.stdout)
        self.assertEqual(result.stdout, expected)

    def test_tabix_is_refused_when_the_s3cfg_holds_a_wrong_secret(self):
        keys = self.s3.make_session_keys()
        with self.serve(keys) as imds:
            s3cfg = self.write_s3cfg(imds)
        text = read(s3cfg)
        self.assertIn(keys.secret_access_key, text)
        with open(s3cfg, "w") as f:
            f.write(text.replace(keys.secret_access_key, "W" * len(keys.secret_access_key)))
        mark = self.s3.log_mark()

        result = self.s3.tabix(clean_env(self.home, HTS_S3_S3CFG=s3cfg), self.run_dir(),
                               REGION_QUERY)

        self.assertRefusedByMoto(result, mark)

    def test_s3cfg_holds_the_keys_host_and_expiry_htslib_and_s3cmd_read(self):
        keys = self.s3.make_session_keys()
        with self.serve(keys) as imds:
            s3cfg = self.write_s3cfg(imds)

        text = read(s3cfg)

        values = ini_values(text)
        self.assertEqual(values["access_key"], keys.access_key_id)
        self.assertEqual(values["secret_key"], keys.secret_access_key)
        self.assertEqual(values["access_token"], keys.session_token)
        self.assertEqual(values["host_base"], self.s3.host_base)
        self.assertEqual(values["host_bucket"], self.s3.host_base)
        self.assertEqual(values["bucket_location"], REGION)
        self.assertRegex(text, r"(?m)^# credkit: credentials expire at "
                               r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(os.stat(s3cfg).st_mode & 0o777, 0o600)


class S3cmdReadsTheS3cfgCredkitWrote(S3TestCase):
    def test_s3cmd_lists_the_bucket_with_the_s3cfg_credkit_wrote(self):
        keys = self.s3.make_session_keys()
        with self.serve(keys) as imds:
            s3cfg = self.write_s3cfg(imds)

        # `ls -r`: moto's server signs a query holding '/' (the `delimiter=/` of a plain
        # `s3cmd ls s3://BUCKET`) differently from AWS and refuses it even with good keys;
        # boto3's ListObjectsV2 with Delimiter='/' is refused the same way.
        result = self.s3.s3cmd(s3cfg, clean_env(self.home), "ls", "-r",
                               f"s3://{self.s3.bucket}")

        self.assertEqual(result.returncode, 0, result.stderr)
        size = os.path.getsize(self.s3.vcf.path)
        self.assertRegex(result.stdout, rf"\s{size}\s+s3://{self.s3.bucket}/"
                                        rf"{re.escape(self.s3.vcf_key)}\n")
        self.assertIn(f"s3://{self.s3.bucket}/{self.s3.vcf_key}.tbi", result.stdout)

    def test_s3cmd_is_refused_when_the_s3cfg_holds_a_wrong_secret(self):
        keys = self.s3.make_session_keys()
        with self.serve(keys) as imds:
            s3cfg = self.write_s3cfg(imds)
        text = read(s3cfg)
        with open(s3cfg, "w") as f:
            f.write(text.replace(keys.secret_access_key, "W" * len(keys.secret_access_key)))

        result = self.s3.s3cmd(s3cfg, clean_env(self.home), "ls", "-r",
                               f"s3://{self.s3.bucket}")

        self.assertNotEqual(result.returncode, 0)
        self.assertIn("SignatureDoesNotMatch", result.stderr)


class HtslibRereadsTheCredentialsFileDuringALongRead(S3TestCase):
    LIFETIME = 40  # seconds: inside htslib's 60 s refresh window from the start
    ROTATION = 3  # seconds: mock-imds serves the second key pair from start + 3 s

    # chr3 first, then chr1: the seek back to chr1 needs a new HTTP request.
    REGIONS = ("chr3", "chr1:1-5000")

    def reader_env(self, credentials_file):
        # Only the credentials file gives keys; with keys from it htslib never opens an s3cfg,
        # so the host and the path style come from the environment (HTS_S3_HOST,
        # HTS_S3_ADDRESS_STYLE): the file must hold exactly the four keys htslib re-reads.
        return clean_env(self.home, AWS_SHARED_CREDENTIALS_FILE=credentials_file,
                         HTS_S3_HOST=self.s3.host_base, HTS_S3_ADDRESS_STYLE="path")

    def read_while_rotating(self, env, rotate):
        """Runs tabix on REGIONS, calls rotate() while tabix waits on its full output pipe in
        the middle of the first region, then drains it. Returns (exit code, output, stderr,
        {status: count} of the object GETs moto answered after rotate() returned)."""
        with tempfile.TemporaryFile("w+") as errors:
            reader = subprocess.Popen(["tabix", self.s3.url(), *self.REGIONS], env=env,
                                      cwd=self.run_dir(), stdout=subprocess.PIPE,
                                      stderr=errors, text=True)
            # The output is read through one file object to the end: communicate() would read
            # the pipe beneath the buffer readline() filled and lose what that buffer holds.
            watchdog = threading.Timer(60, reader.kill)
            watchdog.start()
            try:
                output = reader.stdout.readline()
                rotate()
                mark = self.s3.log_mark()
                output += reader.stdout.read()
                reader.wait()
            finally:
                watchdog.cancel()
                if reader.poll() is None:
                    reader.kill()
                    reader.wait()
                reader.stdout.close()
            errors.seek(0)
            return reader.returncode, output, errors.read(), self.s3.object_gets(since=mark)

    def expected_output(self):
        return "".join(self.s3.vcf.region(region) for region in self.REGIONS)

    def test_htslib_reads_on_with_the_keys_credkit_rotated_in_after_the_first_are_revoked(self):
        first, second = self.s3.make_session_keys(), self.s3.make_session_keys()
        credentials = self.path("credentials")
        args = ("--rotate-every", f"{self.ROTATION}s", "--lifetime", f"{self.LIFETIME}s")
        with self.serve(first, second, args=args) as imds:
            self.write_s3cfg(imds, "--also-credentials-file", credentials)
            self.assertEqual(ini_values(read(credentials))["aws_access_key_id"],
                             first.access_key_id,
                             "mock-imds rotated before the first write: the machine is too "
                             "slow for this test's timing")
            expires = expiry_of(credentials)
            self.assertLess(expires - time.time(), HTSLIB_REFRESH_WINDOW)
            started = expires - self.LIFETIME  # when mock-imds's first generation began

            def rotate():
                # Past the first rotation, with 2 s to spare before the keys cycle back.
                time.sleep(max(0.5, started + self.ROTATION + 1 - time.time()))
                self.write_s3cfg(imds, "--also-credentials-file", credentials)
                self.assertEqual(ini_values(read(credentials))["aws_access_key_id"],
                                 second.access_key_id)
                self.s3.revoke(first)
                self.assertEqual(self.s3.refuses(first), "AccessDenied")

            code, output, err, gets_after = self.read_while_rotating(
                self.reader_env(credentials), rotate)

        self.assertEqual(code, 0, err)
        self.assertEqual(output, self.expected_output())
        self.assertTrue(gets_after, "htslib made no request after the rotation: the test "
                                    "proves nothing")
        self.assertEqual(set(gets_after) - {200, 206}, set(), gets_after)

    def test_htslib_drops_the_old_token_when_credkit_rotates_in_long_term_keys(self):
        # htslib's refresh only overwrites the keys the file has: a section without
        # aws_session_token leaves the old session token in use, and the new long-term key is
        # sent with it and refused. An empty aws_session_token clears it.
        session, long_term = self.s3.make_session_keys(), self.s3.make_user_keys()
        credentials = self.path("credentials")
        args = ("--lifetime", f"{self.LIFETIME}s", "--rotate-every", f"{self.ROTATION}s")
        env_keys = clean_env(self.home, AWS_ACCESS_KEY_ID=long_term.access_key_id,
                             AWS_SECRET_ACCESS_KEY=long_term.secret_access_key)
        with self.serve(session, args=args) as imds:
            self.write_s3cfg(imds, "--also-credentials-file", credentials)

            def rotate():
                time.sleep(0.5)
                self.write_s3cfg(imds, "--also-credentials-file", credentials, "--source",
                                 "env", env=env_keys)
                self.s3.revoke(session)

            code, output, err, gets_after = self.read_while_rotating(
                self.reader_env(credentials), rotate)

        self.assertEqual(code, 0, f"{err}\nmoto answered {gets_after}\ncredentials file:\n"
                                  + read(credentials).replace(long_term.secret_access_key, "*"))
        self.assertEqual(output, self.expected_output())

    def test_credentials_file_section_holds_exactly_the_four_keys_htslib_refreshes(self):
        keys = self.s3.make_session_keys()
        credentials = self.path("credentials")
        with self.serve(keys) as imds:
            self.write_s3cfg(imds, "--also-credentials-file", credentials)

        text = read(credentials)

        # htslib's refresh reads past its argument list on any other key in the section, and
        # it takes every line holding ':' or '=' for a key, comments included.
        keyed = [line.split("=")[0].strip() for line in text.splitlines()
                 if re.search("[:=]", line)]
        self.assertEqual(sorted(keyed), ["aws_access_key_id", "aws_secret_access_key",
                                         "aws_session_token", "expiry_time"], text)
        values = ini_values(text)
        self.assertEqual(values["aws_access_key_id"], keys.access_key_id)
        self.assertEqual(values["aws_session_token"], keys.session_token)
        self.assertRegex(values["expiry_time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

    def test_control_htslib_keeps_revoked_keys_when_expiry_time_is_far(self):
        # Without a near expiry_time htslib never re-reads the file, so the same read, with the
        # same rotation and revocation, must fail: the refresh is what the test above proves.
        first, second = self.s3.make_session_keys(), self.s3.make_session_keys()
        credentials = self.path("credentials")
        write_credentials_file(credentials, first, time.time() + 3600)

        def rotate():
            time.sleep(0.5)
            write_credentials_file(credentials, second, time.time() + 3600)
            self.s3.revoke(first)

        code, output, err, gets_after = self.read_while_rotating(
            self.reader_env(credentials), rotate)

        self.assertNotEqual(code, 0)
        self.assertNotEqual(output, self.expected_output())
        self.assertIn(403, gets_after, err)


class S3FixtureChecksSignatures(S3TestCase):
    """The fixture's own claims, with hand-written files and no credkit: moto refuses what it
    must, so the tests above that pass are passes."""

    def tabix_with_s3cfg(self, keys):
        s3cfg = self.path("hand.s3cfg")
        write_s3cfg(s3cfg, keys, self.s3.host_base)
        return self.s3.tabix(clean_env(self.home, HTS_S3_S3CFG=s3cfg), self.run_dir(),
                             REGION_QUERY)

    def test_htslib_reads_with_a_hand_written_s3cfg_of_a_long_term_key(self):
        result = self.tabix_with_s3cfg(self.s3.make_user_keys())

        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, self.s3.vcf.region(REGION_QUERY))

    def test_moto_refuses_htslib_with_a_wrong_secret(self):
        keys = self.s3.make_session_keys()
        mark = self.s3.log_mark()

        result = self.tabix_with_s3cfg(keys.with_secret("W" * 40))

        self.assertRefusedByMoto(result, mark)

    def test_moto_refuses_htslib_with_a_wrong_session_token(self):
        keys = self.s3.make_session_keys()
        wrong = S3Keys(keys.access_key_id, keys.secret_access_key, keys.session_token[:-4] + "AAAA")
        mark = self.s3.log_mark()

        result = self.tabix_with_s3cfg(wrong)

        self.assertRefusedByMoto(result, mark)

    def test_moto_refuses_revoked_keys(self):
        user, session = self.s3.make_user_keys(), self.s3.make_session_keys()

        self.s3.revoke(user)
        self.s3.revoke(session)

        self.assertEqual(self.s3.refuses(user), "InvalidAccessKeyId")
        self.assertEqual(self.s3.refuses(session), "AccessDenied")


if __name__ == "__main__":
    unittest.main()
