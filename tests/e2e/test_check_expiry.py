"""credkit check-expiry as people, scripts and monitoring meet it.

Every input form (presigned URLs, files, the environment, IMDS, the resolved credentials) is
read back from what credkit itself and botocore write, with a fixed "now" (`--at`) so that the
status boundaries are exact. The monitoring formats are judged by the tools that read them:
promtool (unpacked from Debian's `prometheus` package into .tools/) and a small independent parser of the text exposition
format for Prometheus, and the Nagios plugin guidelines for the Nagios line.

Exit codes are on the monitoring scale: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (usage errors
included).
"""

import calendar
import json
import math
import os
import re
import shlex
import shutil
import subprocess
import time
import unittest

from credkit_test import BIN, SOURCE_DIR, CredkitTestCase, MockImds, clean_env, python, read

OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3
STATUS_CODE = {"OK": OK, "WARNING": WARNING, "CRITICAL": CRITICAL, "UNKNOWN": UNKNOWN}

# The example keys of the S3 documentation; valid nowhere.
ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+token/with+slashes=="

AT = "2026-12-03T15:16:57Z"   # the fixed "now" of most tests


def epoch(rfc3339):
    return calendar.timegm(time.strptime(rfc3339, "%Y-%m-%dT%H:%M:%SZ"))


def rfc3339(seconds):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def later(seconds, start=AT):
    """The RFC 3339 time `seconds` after `start`."""
    return rfc3339(epoch(start) + seconds)


TEXT_LINE = re.compile(r"^(OK|WARNING|CRITICAL|UNKNOWN)\s+(\S+) (.+?): (.*)$")
JSON_FIELDS = {"status", "expires", "remaining_seconds", "kind", "target", "may_end_earlier"}

BOTOCORE_PRESIGN = r'''
import datetime, json, sys, time
import boto3, botocore.auth, botocore.compat
from botocore.config import Config

job = json.load(sys.stdin)
at = datetime.datetime.strptime(job["at"], "%Y-%m-%dT%H:%M:%SZ")
frozen = lambda remove_tzinfo=True: at if remove_tzinfo else at.replace(
    tzinfo=datetime.timezone.utc)
botocore.auth.get_current_datetime = frozen     # SigV4: X-Amz-Date
botocore.compat.get_current_datetime = frozen
seconds = (at - datetime.datetime(1970, 1, 1)).total_seconds()
time.time = lambda: seconds                     # SigV2: Expires = time.time() + ExpiresIn
config = Config(signature_version=job["signature_version"]) if job["signature_version"] else None
client = boto3.session.Session().client(
    "s3", region_name=job["region"], aws_access_key_id=job["access_key"],
    aws_secret_access_key=job["secret_key"], aws_session_token=job["token"], config=config)
print(client.generate_presigned_url(
    "get_object", Params={"Bucket": job["bucket"], "Key": job["key"]}, ExpiresIn=job["expires"]))
'''


class CheckExpiryCase(CredkitTestCase):
    """Runs `credkit check-expiry` and reads its outputs."""

    def check(self, *args, env=None):
        return self.credkit("check-expiry", *args, env=env)

    def check_json(self, *args, env=None):
        """(result, [one dict per input]) of `check-expiry --format json`."""
        result = self.check("--format", "json", *args, env=env)
        lines = [line for line in result.stdout.splitlines() if line.strip()]
        try:
            objects = [json.loads(line) for line in lines]
        except ValueError as error:
            self.fail(f"--format json printed a line that is not JSON ({error}):\n"
                      f"{result.stdout}\nstderr: {result.stderr}")
        for obj in objects:
            missing = JSON_FIELDS - set(obj)
            self.assertFalse(missing, f"a JSON object lacks {sorted(missing)}: {obj}")
        return result, objects

    def check_one(self, *args, env=None):
        """The single JSON object `check-expiry --format json` prints for one input."""
        result, objects = self.check_json(*args, env=env)
        self.assertEqual(len(objects), 1, f"wanted one object\nstdout: {result.stdout}\n"
                                          f"stderr: {result.stderr}")
        return result, objects[0]

    def assertJudged(self, result, obj, status, expires, remaining, kind=None):
        """One input judged `status`, expiring at `expires` with `remaining` seconds left."""
        detail = f"\nstdout: {result.stdout}\nstderr: {result.stderr}"
        self.assertEqual(obj["status"], status, detail)
        self.assertEqual(obj["expires"], expires, detail)
        self.assertEqual(obj["remaining_seconds"], remaining, detail)
        self.assertIsInstance(obj["remaining_seconds"], int)
        if kind is not None:
            self.assertEqual(obj["kind"], kind, detail)
        self.assertExit(result, STATUS_CODE[status])

    def write(self, name, text):
        path = self.path(name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def env_with(self, **variables):
        return dict(self.env, **variables)

    def presign(self, *args, token=None, at=AT):
        """A URL from `credkit presign --source env --at AT`."""
        env = self.env_with(AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY)
        if token:
            env["AWS_SESSION_TOKEN"] = token
        result = self.credkit("presign", "--source", "env", "--at", at, *args, env=env)
        self.assertExit(result, 0)
        return result.stdout.strip()

    def botocore_url(self, *, signature_version, region="us-east-1", expires=3600, token=None,
                     at=AT, bucket="examplebucket", key="reports/2026-12.csv"):
        job = {"at": at, "signature_version": signature_version, "region": region,
               "access_key": ACCESS_KEY, "secret_key": SECRET_KEY, "token": token,
               "bucket": bucket, "key": key, "expires": expires}
        env = clean_env(self.home, AWS_EC2_METADATA_DISABLED="true")
        result = subprocess.run([python(), "-c", BOTOCORE_PRESIGN], input=json.dumps(job),
                                env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout.strip()


# ---- presigned URLs ----------------------------------------------------------------------------

class PresignedUrls(CheckExpiryCase):
    def test_sigv4_url_from_credkit_presign_as_an_argument_expires_at_date_plus_expires(self):
        url = self.presign("--expires", "2h", "s3://my-bucket/reports/2026-12.csv")

        result, obj = self.check_one("--at", AT, url)

        self.assertJudged(result, obj, "OK", later(7200), 7200, kind="url")
        self.assertEqual(obj["target"], url.split("?", 1)[0])
        self.assertIs(obj["may_end_earlier"], False)

    def test_sigv4_url_given_with_url_option(self):
        url = self.presign("--expires", "15m", "s3://my-bucket/k")

        result, obj = self.check_one("--at", AT, "--url", url)

        self.assertJudged(result, obj, "WARNING", later(900), 900, kind="url")

    def test_url_signed_at_another_time_is_judged_from_its_own_x_amz_date(self):
        signed = "2026-12-03T12:00:00Z"
        url = self.presign("--expires", "7d", "s3://my-bucket/k", at=signed)

        result, obj = self.check_one("--at", AT, url)

        expires = later(7 * 86400, signed)
        self.assertJudged(result, obj, "OK", expires, epoch(expires) - epoch(AT))

    def test_url_signed_with_a_session_token_may_end_earlier_and_text_says_so(self):
        url = self.presign("--expires", "6h", "s3://my-bucket/k", token=SESSION_TOKEN)
        self.assertIn("X-Amz-Security-Token=", url)

        result, obj = self.check_one("--at", AT, url)
        text = self.check("--at", AT, url)

        self.assertJudged(result, obj, "OK", later(6 * 3600), 6 * 3600)
        self.assertIs(obj["may_end_earlier"], True)
        self.assertExit(text, OK)
        self.assertRegex(text.stdout, r"(?i)session token|token",
                         "the text does not say that the token may end the URL earlier")

    def test_url_without_session_token_does_not_claim_it_may_end_earlier_in_text(self):
        url = self.presign("--expires", "6h", "s3://my-bucket/k")

        text = self.check("--at", AT, url)

        self.assertExit(text, OK)
        self.assertNotRegex(text.stdout, r"(?i)token")

    def test_sigv4_url_from_botocore_with_frozen_clock(self):
        url = self.botocore_url(signature_version="s3v4", region="eu-west-1", expires=900)
        self.assertIn("X-Amz-Date=20261203T151657Z", url)

        result, obj = self.check_one("--at", AT, url)

        self.assertJudged(result, obj, "WARNING", later(900), 900, kind="url")
        self.assertEqual(obj["target"], url.split("?", 1)[0])

    def test_sigv4_url_from_botocore_with_session_token_may_end_earlier(self):
        url = self.botocore_url(signature_version="s3v4", region="eu-west-1", expires=43200,
                                token=SESSION_TOKEN)

        result, obj = self.check_one("--at", AT, url)

        self.assertJudged(result, obj, "OK", later(43200), 43200)
        self.assertIs(obj["may_end_earlier"], True)

    def test_sigv2_url_from_botocores_default_presign_in_us_east_1(self):
        url = self.botocore_url(signature_version=None, region="us-east-1", expires=3600)
        self.assertIn("Expires=", url)
        self.assertIn("AWSAccessKeyId=", url)
        self.assertNotIn("X-Amz-Date", url)

        result, obj = self.check_one("--at", AT, url)

        self.assertJudged(result, obj, "OK", later(3600), 3600, kind="url")
        self.assertEqual(obj["target"], url.split("?", 1)[0])
        self.assertIs(obj["may_end_earlier"], False)

    def test_sigv2_url_with_a_session_token_may_end_earlier(self):
        url = self.botocore_url(signature_version=None, expires=3600, token=SESSION_TOKEN)
        self.assertIn("x-amz-security-token=", url.lower())

        result, obj = self.check_one("--at", AT, url)

        self.assertJudged(result, obj, "OK", later(3600), 3600)
        self.assertIs(obj["may_end_earlier"], True)

    def test_handwritten_sigv2_url_reads_its_expires_epoch(self):
        expires = epoch(AT) + 240
        url = (f"https://examplebucket.s3.amazonaws.com/k?AWSAccessKeyId={ACCESS_KEY}"
               f"&Signature=abcd%2Befgh%3D&Expires={expires}")

        result, obj = self.check_one("--at", AT, url)

        self.assertJudged(result, obj, "CRITICAL", rfc3339(expires), 240)

    def test_no_output_format_shows_the_signature_or_the_session_token(self):
        url = self.presign("--expires", "1h", "s3://my-bucket/k", token=SESSION_TOKEN)
        signature = re.search(r"X-Amz-Signature=([0-9a-f]+)", url).group(1)
        token = re.search(r"X-Amz-Security-Token=([^&]+)", url).group(1)

        for fmt in ("text", "json", "nagios", "prometheus"):
            with self.subTest(format=fmt):
                result = self.check("-v", "--at", AT, "--format", fmt, url)

                self.assertExit(result, OK)
                for secret in (signature, token, SESSION_TOKEN):
                    self.assertNotIn(secret, result.stdout + result.stderr)


# ---- files -------------------------------------------------------------------------------------

class CredentialFiles(CheckExpiryCase):
    def test_credential_process_json(self):
        path = self.write("process.json", json.dumps({
            "Version": 1, "AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "s",
            "SessionToken": "t", "Expiration": later(3600)}))

        result, obj = self.check_one("--at", AT, "--file", path)

        self.assertJudged(result, obj, "OK", later(3600), 3600, kind="file")
        self.assertEqual(obj["target"], path)

    def test_aws_credentials_section_with_each_expiry_key_in_use(self):
        for key in ("expiry_time", "aws_expiration", "aws_credential_expiration",
                    "x_security_token_expires"):
            with self.subTest(key=key):
                path = self.write("credentials", "[default]\naws_access_key_id = ASIAEXAMPLE\n"
                                  f"aws_secret_access_key = s\n{key} = {later(1200)}\n")

                result, obj = self.check_one("--at", AT, "--file", path)

                self.assertJudged(result, obj, "WARNING", later(1200), 1200, kind="file")

    def test_section_option_picks_the_section(self):
        path = self.write("credentials",
                          f"[default]\naws_access_key_id = A\nexpiry_time = {later(60)}\n\n"
                          f"[hts]\naws_access_key_id = B\nexpiry_time = {later(7200)}\n")

        result, obj = self.check_one("--at", AT, "--file", path, "--section", "hts")

        self.assertJudged(result, obj, "OK", later(7200), 7200)

    def test_section_defaults_to_the_profile_in_effect(self):
        path = self.write("credentials",
                          f"[default]\naws_access_key_id = A\nexpiry_time = {later(60)}\n\n"
                          f"[hts]\naws_access_key_id = B\nexpiry_time = {later(7200)}\n")
        cases = [({}, [], later(60)),
                 ({"AWS_PROFILE": "hts"}, [], later(7200)),
                 ({}, ["--profile", "hts"], later(7200))]
        for variables, args, expires in cases:
            with self.subTest(variables=variables, args=args):
                result, obj = self.check_one("--at", AT, "--file", path, *args,
                                             env=self.env_with(**variables))

                self.assertEqual(obj["expires"], expires, result.stderr)

    def test_s3cfg_with_credkits_expiry_comment(self):
        path = self.write("hts.s3cfg", "[default]\naccess_key = ASIAEXAMPLE\nsecret_key = s\n"
                          f"access_token = t\n# credkit: credentials expire at {later(300)}\n")

        result, obj = self.check_one("--at", AT, "--file", path)

        self.assertJudged(result, obj, "CRITICAL", later(300), 300, kind="file")

    def test_section_without_any_expiry_is_unknown_and_says_why(self):
        path = self.write("credentials", "[default]\naws_access_key_id = AKIAEXAMPLE\n"
                          "aws_secret_access_key = s\n")

        result, obj = self.check_one("--at", AT, "--file", path)

        self.assertEqual(obj["status"], "UNKNOWN")
        self.assertIsNone(obj["expires"])
        self.assertIsNone(obj["remaining_seconds"])
        self.assertExit(result, UNKNOWN)
        text = self.check("--at", AT, "--file", path)
        self.assertExit(text, UNKNOWN)
        self.assertRegex(text.stdout + text.stderr, r"(?i)expir")

    def test_section_that_is_not_in_the_file_is_unknown_and_named(self):
        path = self.write("credentials", f"[default]\nexpiry_time = {later(60)}\n")

        result = self.check("--at", AT, "--file", path, "--section", "nope")

        self.assertExit(result, UNKNOWN)
        self.assertIn("nope", result.stdout + result.stderr)

    def test_missing_file_is_unknown_and_named(self):
        path = self.path("not-there.json")

        result = self.check("--at", AT, "--file", path)

        self.assertExit(result, UNKNOWN)
        self.assertIn(path, result.stdout + result.stderr)


class FilesCredkitWrites(CheckExpiryCase):
    """The files `write-s3cfg` and `fetch-creds -o` write, read back with their expiry."""

    @classmethod
    def setUpClass(cls):
        cls.imds = MockImds("--seed", "5", "--lifetime", "6h", "--rotate-every", "1h").__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.imds.stop()

    def imds_expiration(self):
        result = self.credkit("fetch-creds", "--imds-endpoint", self.imds.endpoint)
        self.assertExit(result, 0)
        return json.loads(result.stdout)["Expiration"]

    def assertReadBack(self, path, expires, *args):
        result, obj = self.check_one("--file", path, *args)
        self.assertEqual(obj["expires"], expires, f"{read(path)}\nstderr: {result.stderr}")
        self.assertEqual(obj["kind"], "file")
        self.assertEqual(obj["status"], "OK")  # 5 to 6 hours left
        self.assertExit(result, OK)
        # And judged as of half an hour before the end: the remaining time is exact.
        result, obj = self.check_one("--file", path, *args, "--at", later(-1800, expires))
        self.assertJudged(result, obj, "WARNING", expires, 1800)

    def test_write_s3cfg_s3cfg_and_also_credentials_file(self):
        s3cfg, credentials = self.path("hts.s3cfg"), self.path("hts.credentials")

        written = self.credkit("write-s3cfg", "--json", "--imds-endpoint", self.imds.endpoint,
                               "-o", s3cfg, "--also-credentials-file", credentials)

        self.assertExit(written, 0)
        expires = json.loads(written.stdout)["expires"]
        for path in (s3cfg, credentials):
            with self.subTest(path=os.path.basename(path)):
                self.assertReadBack(path, expires)

    def test_write_s3cfg_with_a_section_and_credentials_profile(self):
        s3cfg, credentials = self.path("hts.s3cfg"), self.path("hts.credentials")

        written = self.credkit("write-s3cfg", "--json", "--imds-endpoint", self.imds.endpoint,
                               "-o", s3cfg, "--section", "hts",
                               "--also-credentials-file", credentials,
                               "--credentials-profile", "hts")

        self.assertExit(written, 0)
        expires = json.loads(written.stdout)["expires"]
        self.assertReadBack(s3cfg, expires, "--section", "hts")
        self.assertReadBack(credentials, expires, "--section", "hts")

    def test_fetch_creds_output_in_each_file_format(self):
        for fmt in ("json", "credential-process", "ini"):
            with self.subTest(format=fmt):
                path = self.path(f"creds.{fmt}")
                expires = self.imds_expiration()

                written = self.credkit("fetch-creds", "--imds-endpoint", self.imds.endpoint,
                                       "--format", fmt, "-o", path)

                self.assertExit(written, 0)
                self.assertReadBack(path, expires)

    def test_fetch_creds_ini_with_a_profile_read_with_section(self):
        path = self.path("creds.ini")
        expires = self.imds_expiration()

        written = self.credkit("fetch-creds", "--imds-endpoint", self.imds.endpoint,
                               "--format", "ini", "--profile", "hts", "-o", path)

        self.assertExit(written, 0)
        self.assertReadBack(path, expires, "--section", "hts")


# ---- the environment, IMDS, and the resolved credentials ----------------------------------------

class EnvironmentAndImds(CheckExpiryCase):
    def test_env_reads_aws_credential_expiration(self):
        env = self.env_with(AWS_CREDENTIAL_EXPIRATION=later(3600))

        result, obj = self.check_one("--at", AT, "--env", env=env)

        self.assertJudged(result, obj, "OK", later(3600), 3600, kind="env")

    def test_env_falls_back_to_aws_session_expiration(self):
        env = self.env_with(AWS_SESSION_EXPIRATION=later(600))

        result, obj = self.check_one("--at", AT, "--env", env=env)

        self.assertJudged(result, obj, "WARNING", later(600), 600, kind="env")

    def test_env_prefers_aws_credential_expiration_over_aws_session_expiration(self):
        env = self.env_with(AWS_CREDENTIAL_EXPIRATION=later(3600),
                            AWS_SESSION_EXPIRATION=later(600))

        result, obj = self.check_one("--at", AT, "--env", env=env)

        self.assertEqual(obj["expires"], later(3600))

    def test_env_without_either_variable_is_unknown(self):
        result, obj = self.check_one("--at", AT, "--env")

        self.assertEqual(obj["status"], "UNKNOWN")
        self.assertIsNone(obj["expires"])
        self.assertExit(result, UNKNOWN)

    def test_env_accepts_an_offset_and_fractional_seconds(self):
        env = self.env_with(AWS_CREDENTIAL_EXPIRATION="2026-12-03T17:16:57.250+01:00")

        result, obj = self.check_one("--at", AT, "--env", env=env)

        self.assertEqual(obj["expires"], later(3600))

    def test_imds_reads_the_role_credentials_expiration(self):
        with MockImds("--seed", "3", "--lifetime", "6h", "--rotate-every", "1h") as imds:
            expected = json.loads(self.credkit("fetch-creds", "--imds-endpoint",
                                               imds.endpoint).stdout)["Expiration"]

            result, obj = self.check_one("--imds", "--imds-endpoint", imds.endpoint)
            judged_later = self.check_one("--imds", "--imds-endpoint", imds.endpoint,
                                          "--at", later(-60, expected))

        self.assertEqual(obj["expires"], expected, result.stderr)
        self.assertEqual(obj["kind"], "imds")
        self.assertEqual(obj["status"], "OK")
        self.assertExit(result, OK)
        self.assertJudged(*judged_later, "CRITICAL", expected, 60)

    def test_imds_serving_expired_credentials_is_critical(self):
        with MockImds("--fault", "expired") as imds:
            result, obj = self.check_one("--imds", "--imds-endpoint", imds.endpoint)

        self.assertEqual(obj["status"], "CRITICAL", result.stderr)
        self.assertLessEqual(obj["remaining_seconds"], 0)
        self.assertExit(result, CRITICAL)

    def test_imds_without_a_role_is_unknown_and_says_so(self):
        with MockImds("--no-role") as imds:
            result = self.check("--imds", "--imds-endpoint", imds.endpoint)

        self.assertExit(result, UNKNOWN)
        self.assertRegex(result.stdout + result.stderr, r"(?i)role")

    def test_imds_unreachable_is_unknown(self):
        result = self.check("--imds", "--imds-endpoint", "http://127.0.0.1:9",
                            "--imds-attempts", "1", "--imds-timeout", "1s")

        self.assertExit(result, UNKNOWN)


class ResolvedCredentials(CheckExpiryCase):
    """No input named: the credentials the `auto` source (or --source) resolves."""

    def test_auto_finds_environment_keys_and_their_expiration(self):
        env = self.env_with(AWS_ACCESS_KEY_ID="ASIAEXAMPLE", AWS_SECRET_ACCESS_KEY="s",
                            AWS_SESSION_TOKEN="t", AWS_CREDENTIAL_EXPIRATION=later(1800))

        result, obj = self.check_one("--at", AT, env=env)

        self.assertJudged(result, obj, "WARNING", later(1800), 1800, kind="credentials")

    def test_auto_falls_through_to_the_instance_role(self):
        with MockImds("--seed", "9", "--lifetime", "6h", "--rotate-every", "1h") as imds:
            env = self.env_with(AWS_EC2_METADATA_SERVICE_ENDPOINT=imds.endpoint)
            expected = json.loads(self.credkit("fetch-creds", env=env).stdout)["Expiration"]

            result, obj = self.check_one(env=env)

        self.assertEqual(obj["expires"], expected, result.stderr)
        self.assertEqual(obj["status"], "OK")
        self.assertExit(result, OK)

    def test_source_profile_reads_expiry_time_of_the_shared_credentials_file(self):
        path = self.write("credentials",
                          "[default]\naws_access_key_id = A\naws_secret_access_key = s\n"
                          f"expiry_time = {later(60)}\n\n"
                          "[hts]\naws_access_key_id = B\naws_secret_access_key = s\n"
                          f"aws_session_token = t\nexpiry_time = {later(7200)}\n")
        env = self.env_with(AWS_SHARED_CREDENTIALS_FILE=path)
        cases = [(["--source", "profile"], later(60)),
                 (["--source", "profile:hts"], later(7200)),
                 (["--source", "profile", "--profile", "hts"], later(7200))]
        for args, expires in cases:
            with self.subTest(args=args):
                result, obj = self.check_one("--at", AT, *args, env=env)

                self.assertEqual(obj["expires"], expires, result.stderr)
                self.assertEqual(obj["kind"], "credentials")

    def test_source_s3cfg_reads_credkits_expiry_comment(self):
        path = self.write("hts.s3cfg", "[default]\naccess_key = ASIAEXAMPLE\nsecret_key = s\n"
                          f"access_token = t\n# credkit: credentials expire at {later(4000)}\n")

        result, obj = self.check_one("--at", AT, "--source", f"s3cfg:{path}")

        self.assertJudged(result, obj, "OK", later(4000), 4000, kind="credentials")

    def test_long_term_keys_have_no_expiry_to_know(self):
        env = self.env_with(AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY)

        result, obj = self.check_one("--at", AT, "--source", "env", env=env)

        self.assertEqual(obj["status"], "UNKNOWN")
        self.assertIsNone(obj["expires"])
        self.assertExit(result, UNKNOWN)

    def test_no_credentials_anywhere_is_unknown(self):
        env = self.env_with(AWS_EC2_METADATA_DISABLED="true")

        result = self.check("--at", AT, env=env)

        self.assertExit(result, UNKNOWN)
        self.assertNotIn(SECRET_KEY, result.stdout + result.stderr)


# ---- status boundaries -------------------------------------------------------------------------

class StatusBoundaries(CheckExpiryCase):
    """Judged against AWS_CREDENTIAL_EXPIRATION = AT + 1h, as of times around the limits."""

    EXPIRES = later(3600)

    def judge(self, now, *args):
        env = self.env_with(AWS_CREDENTIAL_EXPIRATION=self.EXPIRES)
        return self.check_one("--env", "--at", now, *args, env=env)

    def test_each_boundary_with_the_default_limits_30m_and_5m(self):
        cases = [(3600, "OK"), (1801, "OK"), (1800, "WARNING"), (301, "WARNING"),
                 (300, "CRITICAL"), (1, "CRITICAL"), (0, "CRITICAL")]
        for remaining, status in cases:
            with self.subTest(remaining=remaining):
                result, obj = self.judge(later(-remaining, self.EXPIRES))

                self.assertJudged(result, obj, status, self.EXPIRES, remaining)

    def test_already_expired_is_critical_and_text_says_expired(self):
        now = later(600, self.EXPIRES)
        result, obj = self.judge(now)

        self.assertEqual(obj["status"], "CRITICAL")
        self.assertLessEqual(obj["remaining_seconds"], 0)
        self.assertExit(result, CRITICAL)
        text = self.check("--env", "--at", now,
                          env=self.env_with(AWS_CREDENTIAL_EXPIRATION=self.EXPIRES))
        self.assertExit(text, CRITICAL)
        self.assertRegex(text.stdout, r"(?i)expired")

    def test_custom_limits_in_units_and_plain_seconds(self):
        cases = [(["--warn", "2h", "--crit", "1h"], 3600, "CRITICAL"),
                 (["--warn", "2h", "--crit", "1h"], 3601, "WARNING"),
                 (["--warn", "2h", "--crit", "1h"], 7201, "OK"),
                 (["--warn", "600", "--crit", "60"], 600, "WARNING"),
                 (["--warn", "600", "--crit", "60"], 601, "OK"),
                 (["--warn", "1h30m", "--crit", "90s"], 90, "CRITICAL"),
                 (["--warn", "1h30m", "--crit", "90s"], 5400, "WARNING")]
        env = self.env_with(AWS_CREDENTIAL_EXPIRATION=later(10000))
        for args, remaining, status in cases:
            with self.subTest(args=args, remaining=remaining):
                result, obj = self.check_one("--env", "--at", later(10000 - remaining), *args,
                                             env=env)

                self.assertJudged(result, obj, status, later(10000), remaining)

    def test_no_expiry_known_is_unknown(self):
        result, obj = self.check_one("--env", "--at", AT)

        self.assertEqual(obj["status"], "UNKNOWN")
        self.assertExit(result, UNKNOWN)

    def test_url_boundaries_too(self):
        url = self.presign("--expires", "1h", "s3://my-bucket/k")
        expires = later(3600)
        for remaining, status in [(1800, "WARNING"), (300, "CRITICAL"), (-1, "CRITICAL")]:
            with self.subTest(remaining=remaining):
                result, obj = self.check_one("--at", later(-remaining, expires), url)

                self.assertEqual(obj["status"], status, result.stderr)
                self.assertExit(result, STATUS_CODE[status])

    def test_text_line_names_status_kind_target_and_expiry(self):
        env = self.env_with(AWS_CREDENTIAL_EXPIRATION=self.EXPIRES)

        result = self.check("--env", "--at", AT, "--warn", "2h", env=env)

        self.assertExit(result, WARNING)
        lines = result.stdout.splitlines()
        self.assertEqual(len(lines), 1, result.stdout)
        match = TEXT_LINE.match(lines[0])
        self.assertIsNotNone(match, f"not `STATUS  KIND TARGET: ...`: {lines[0]!r}")
        self.assertEqual(match.group(1), "WARNING")
        self.assertEqual(match.group(2), "env")
        self.assertIn("AWS_CREDENTIAL_EXPIRATION", match.group(3))
        self.assertIn(self.EXPIRES, match.group(4))


class UsageErrors(CheckExpiryCase):
    def test_usage_errors_exit_unknown(self):
        cases = [["--format", "yaml"], ["--warn", "soon"], ["--crit", "-5m"],
                 ["--at", "yesterday"], ["--no-such-option"], ["--source", "nowhere"]]
        for args in cases:
            with self.subTest(args=args):
                env = self.env_with(AWS_CREDENTIAL_EXPIRATION="2099-01-01T00:00:00Z")

                result = self.check("--env", *args, env=env)

                self.assertExit(result, UNKNOWN)
                self.assertIn("credkit: error: ", result.stderr)

    def test_unknown_format_lists_the_formats(self):
        result = self.check("--format", "yaml", "--env")

        self.assertExit(result, UNKNOWN)
        for fmt in ("text", "json", "nagios", "prometheus"):
            self.assertIn(fmt, result.stderr)

    def test_help_exits_0(self):
        result = self.check("--help")

        self.assertExit(result, 0)
        self.assertIn("--warn", result.stdout)


# ---- garbage in --------------------------------------------------------------------------------

class GarbageIsUnknown(CheckExpiryCase):
    def assertUnknownSaying(self, result, pattern):
        self.assertExit(result, UNKNOWN)
        self.assertRegex(result.stdout + result.stderr, pattern)

    def test_url_without_any_signature_parameters(self):
        url = "https://my-bucket.s3.eu-west-1.amazonaws.com/k?versionId=3&foo=bar"

        result = self.check("--at", AT, url)
        _, obj = self.check_one("--at", AT, url)

        self.assertUnknownSaying(result, r"(?i)x-amz-date|x-amz-expires|expires|presigned")
        self.assertEqual(obj["status"], "UNKNOWN")
        self.assertIsNone(obj["expires"])
        self.assertIsNone(obj["remaining_seconds"])

    def test_url_with_x_amz_date_but_no_x_amz_expires(self):
        url = ("https://my-bucket.s3.eu-west-1.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256"
               "&X-Amz-Date=20261203T151657Z&X-Amz-SignedHeaders=host&X-Amz-Signature=00")

        self.assertUnknownSaying(self.check("--at", AT, url), r"X-Amz-Expires")

    def test_url_with_a_malformed_x_amz_date(self):
        url = ("https://my-bucket.s3.eu-west-1.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256"
               "&X-Amz-Date=2026-12-03&X-Amz-Expires=3600&X-Amz-Signature=00")

        self.assertUnknownSaying(self.check("--at", AT, url), r"X-Amz-Date")

    def test_truncated_credential_process_json(self):
        whole = json.dumps({"Version": 1, "AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "s",
                            "SessionToken": "t", "Expiration": later(3600)})
        path = self.write("process.json", whole[:len(whole) // 2])

        result = self.check("--at", AT, "--file", path)

        self.assertUnknownSaying(result, r"(?i)json|truncat|unexpected end|parse|invalid")
        self.assertIn(path, result.stdout + result.stderr)

    def test_truncated_credentials_file_cut_in_the_expiry_key(self):
        path = self.write("credentials", "[default]\naws_access_key_id = ASIAEXAMPLE\n"
                          "aws_secret_access_key = s\nexpiry_ti")

        result = self.check("--at", AT, "--file", path)

        # Either the cut line is named, or the missing expiry is.
        self.assertUnknownSaying(result, r"(?i)expir|:4\b|line 4")
        self.assertIn(path, result.stdout + result.stderr)

    def test_credential_process_json_with_a_bad_expiration(self):
        path = self.write("process.json", json.dumps({
            "Version": 1, "AccessKeyId": "A", "SecretAccessKey": "s",
            "Expiration": "tomorrow at noon"}))

        result = self.check("--at", AT, "--file", path)

        self.assertUnknownSaying(result, r"Expiration")

    def test_non_rfc3339_time_in_aws_credential_expiration(self):
        for value in ("next tuesday", "2026-12-03 16:16:57", "1796397417", "2026-13-40T99:00:00Z"):
            with self.subTest(value=value):
                env = self.env_with(AWS_CREDENTIAL_EXPIRATION=value)

                result = self.check("--at", AT, "--env", env=env)
                _, obj = self.check_one("--at", AT, "--env", env=env)

                self.assertUnknownSaying(result, r"AWS_CREDENTIAL_EXPIRATION")
                self.assertRegex(result.stdout + result.stderr, r"(?i)rfc ?3339|timestamp|time")
                self.assertEqual(obj["status"], "UNKNOWN")

    def test_an_empty_file(self):
        path = self.write("empty", "")

        self.assertUnknownSaying(self.check("--at", AT, "--file", path), re.escape(path))


# ---- several inputs ----------------------------------------------------------------------------

class SeveralInputs(CheckExpiryCase):
    """A URL with 2h left (OK), the environment with 20m (WARNING), a file with 2m (CRITICAL)."""

    def inputs(self):
        url = self.presign("--expires", "2h", "s3://my-bucket/a.csv")
        path = self.write("credentials", f"[default]\nexpiry_time = {later(120)}\n")
        env = self.env_with(AWS_CREDENTIAL_EXPIRATION=later(1200))
        return [url, "--env", "--file", path], env, url, path

    def test_one_text_line_each_and_the_worst_exit_code(self):
        args, env, url, path = self.inputs()

        result = self.check("--at", AT, *args, env=env)

        self.assertExit(result, CRITICAL)
        lines = result.stdout.splitlines()
        self.assertEqual(len(lines), 3, result.stdout)
        matches = [TEXT_LINE.match(line) for line in lines]
        self.assertTrue(all(matches), lines)
        self.assertEqual(sorted(m.group(1) for m in matches), ["CRITICAL", "OK", "WARNING"])
        self.assertEqual(sorted(m.group(2) for m in matches), ["env", "file", "url"])

    def test_one_json_object_each(self):
        args, env, url, path = self.inputs()

        result, objects = self.check_json("--at", AT, *args, env=env)

        self.assertExit(result, CRITICAL)
        judged = {o["kind"]: (o["status"], o["remaining_seconds"]) for o in objects}
        self.assertEqual(judged, {"url": ("OK", 7200), "env": ("WARNING", 1200),
                                  "file": ("CRITICAL", 120)})
        targets = {o["kind"]: o["target"] for o in objects}
        self.assertEqual(targets["url"], url.split("?", 1)[0])
        self.assertEqual(targets["file"], path)

    def test_worst_of_ok_and_warning_is_warning(self):
        url = self.presign("--expires", "2h", "s3://my-bucket/a.csv")
        env = self.env_with(AWS_CREDENTIAL_EXPIRATION=later(1200))

        self.assertExit(self.check("--at", AT, url, "--env", env=env), WARNING)

    def test_an_unknown_input_beside_good_ones_is_reported_and_the_others_still_judged(self):
        url = self.presign("--expires", "2h", "s3://my-bucket/a.csv")

        result, objects = self.check_json("--at", AT, url, "--file", self.path("missing"))

        self.assertEqual(sorted(o["status"] for o in objects), ["OK", "UNKNOWN"])
        self.assertExit(result, UNKNOWN)

    def test_a_url_argument_before_url_options_is_still_checked(self):
        first = self.presign("--expires", "1h", "s3://my-bucket/first.csv")
        second = self.presign("--expires", "2h", "s3://my-bucket/second.csv")

        result, objects = self.check_json("--at", AT, first, "--url", second)

        self.assertEqual(sorted(o["target"] for o in objects),
                         sorted(u.split("?", 1)[0] for u in (first, second)), result.stderr)

    def test_two_urls_for_the_same_object_are_told_apart_in_nagios_and_prometheus(self):
        get = self.presign("--expires", "1h", "s3://my-bucket/k")
        put = self.presign("--expires", "2h", "--method", "PUT", "s3://my-bucket/k")

        nagios = self.check("--at", AT, "--format", "nagios", get, put)
        prometheus = self.check("--at", AT, "--format", "prometheus", get, put)

        perfdata = nagios.stdout.splitlines()[0].split(" | ", 1)[1].split()
        labels = [item.split("=", 1)[0] for item in perfdata]
        self.assertEqual(len(set(labels)), 2, f"one perfdata label for two inputs: {labels}")
        try:
            families = parse_exposition(prometheus.stdout)
        except ValueError as error:
            self.fail(f"{error}: node_exporter drops a series collected twice\n"
                      f"{prometheus.stdout}")
        self.assertEqual(len(families["credkit_status"]["samples"]), 2)

    def test_several_urls_and_files_given_repeatedly(self):
        urls = [self.presign("--expires", f"{n}h", f"s3://my-bucket/{n}.csv") for n in (1, 2)]
        files = [self.write(f"c{n}", f"[default]\nexpiry_time = {later(n * 3600)}\n")
                 for n in (3, 4)]

        result, objects = self.check_json("--at", AT, urls[0], "--url", urls[1],
                                          "--file", files[0], "--file", files[1])

        self.assertExit(result, OK)
        self.assertEqual(sorted(o["remaining_seconds"] for o in objects),
                         [3600, 7200, 3 * 3600, 4 * 3600])


# ---- Nagios ------------------------------------------------------------------------------------

# Nagios plugin guidelines: `'label'=value[UOM];[warn];[crit];[min];[max]`, space-separated.
PERFDATA_ITEM = re.compile(
    r"^'([^'=]+)'=(-?\d+(?:\.\d+)?)([a-zA-Z%]*);([^;\s]*);([^;\s]*)(?:;([^;\s]*))?(?:;([^;\s]*))?$")
NAGIOS_FIRST_LINE = re.compile(r"^CREDKIT (OK|WARNING|CRITICAL|UNKNOWN) - (\S.*?)(?: \| (.*))?$")


class NagiosOutput(CheckExpiryCase):
    def nagios(self, *args, env=None):
        """(result, status word, message, [(label, value, uom, warn, crit)])."""
        result = self.check("--format", "nagios", *args, env=env)
        lines = result.stdout.splitlines()
        self.assertTrue(lines, f"no output\nstderr: {result.stderr}")
        match = NAGIOS_FIRST_LINE.match(lines[0])
        self.assertIsNotNone(match, f"not a Nagios status line: {lines[0]!r}")
        self.assertEqual(lines[0].count("|"), 1 if match.group(3) else 0,
                         f"'|' must appear once, before the perfdata: {lines[0]!r}")
        items = []
        for item in (match.group(3) or "").split():
            parsed = PERFDATA_ITEM.match(item)
            self.assertIsNotNone(parsed, f"perfdata item breaks the guidelines: {item!r}")
            items.append(parsed.groups()[:5])
        # The exit code is the status word's.
        self.assertExit(result, STATUS_CODE[match.group(1)])
        return result, match.group(1), match.group(2), items

    def assertThreshold(self, value, seconds):
        """A warn or crit field: that many seconds (or the range `N:`, alert below N)."""
        self.assertIn(value, (str(seconds), f"{seconds}:"))

    def test_one_input_status_line_and_perfdata_in_seconds(self):
        env = self.env_with(AWS_CREDENTIAL_EXPIRATION=later(1200))

        result, status, message, items = self.nagios("--env", "--at", AT, env=env)

        self.assertEqual(status, "WARNING")
        self.assertTrue(message.strip())
        self.assertEqual(len(items), 1, items)
        label, value, uom, warn, crit = items[0]
        self.assertEqual((value, uom), ("1200", "s"))
        self.assertThreshold(warn, 1800)
        self.assertThreshold(crit, 300)

    def test_thresholds_in_perfdata_follow_warn_and_crit(self):
        env = self.env_with(AWS_CREDENTIAL_EXPIRATION=later(7200))

        _, status, _, items = self.nagios("--env", "--at", AT, "--warn", "1h", "--crit", "10m",
                                          env=env)

        self.assertEqual(status, "OK")
        _, value, uom, warn, crit = items[0]
        self.assertEqual((value, uom), ("7200", "s"))
        self.assertThreshold(warn, 3600)
        self.assertThreshold(crit, 600)

    def test_each_status_word_matches_the_exit_code(self):
        cases = [(7200, "OK"), (1200, "WARNING"), (60, "CRITICAL"), (-60, "CRITICAL")]
        for remaining, word in cases:
            with self.subTest(remaining=remaining):
                env = self.env_with(AWS_CREDENTIAL_EXPIRATION=later(remaining))

                _, status, _, items = self.nagios("--env", "--at", AT, env=env)

                self.assertEqual(status, word)
                self.assertEqual(items[0][1], str(remaining))

    def test_unknown_has_the_unknown_word_and_no_perfdata_for_the_unknown_input(self):
        _, status, message, items = self.nagios("--env", "--at", AT)

        self.assertEqual(status, "UNKNOWN")
        self.assertTrue(message.strip())
        self.assertEqual(items, [])

    def test_several_inputs_worst_status_and_one_distinct_label_each(self):
        url = self.presign("--expires", "2h", "s3://my-bucket/a.csv")
        path = self.write("credentials", f"[default]\nexpiry_time = {later(120)}\n")
        env = self.env_with(AWS_CREDENTIAL_EXPIRATION=later(1200))

        _, status, _, items = self.nagios("--at", AT, url, "--env", "--file", path, env=env)
        _, objects = self.check_json("--at", AT, url, "--env", "--file", path, env=env)

        self.assertEqual(status, "CRITICAL")
        self.assertEqual(len(items), 3, items)
        labels = [item[0] for item in items]
        self.assertEqual(len(set(labels)), 3, f"labels must be distinct: {labels}")
        self.assertEqual(sorted(int(item[1]) for item in items),
                         sorted(o["remaining_seconds"] for o in objects))

    def test_usage_error_is_unknown(self):
        result = self.check("--format", "nagios", "--warn", "soon", "--env")

        self.assertExit(result, UNKNOWN)


# ---- Prometheus --------------------------------------------------------------------------------

METRICS = ("credkit_expiry_timestamp_seconds", "credkit_remaining_seconds", "credkit_status")
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\\n]|\\[\\"n])*)"\s*(,|$)')


def parse_exposition(text):
    """A small, strict parser of the Prometheus text format (0.0.4), independent of promtool.

    Returns {name: {"help": str, "type": str, "samples": [(labels dict, float)]}} and raises
    ValueError on anything it does not accept: samples of a family not declared before them,
    a family split into two groups, a duplicate series, bad escapes, a missing final newline.
    """
    if text and not text.endswith("\n"):
        raise ValueError("the exposition does not end with a newline")
    families, seen_series, finished, current = {}, set(), set(), None
    for number, line in enumerate(text.split("\n")[:-1], 1):
        if not line.strip():
            continue
        if line.startswith("#"):
            parts = line.split(None, 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                name = parts[2]
                family = families.setdefault(name, {"help": None, "type": None, "samples": []})
                key = parts[1].lower()
                if family[key] is not None:
                    raise ValueError(f"line {number}: second {parts[1]} for {name}")
                if family["samples"]:
                    raise ValueError(f"line {number}: {parts[1]} after samples of {name}")
                family[key] = parts[3] if len(parts) > 3 else ""
                if key == "type" and family[key] not in (
                        "counter", "gauge", "histogram", "summary", "untyped"):
                    raise ValueError(f"line {number}: unknown type {family[key]!r}")
            continue
        match = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)(?:\s+(-?\d+))?\s*$", line)
        if not match:
            raise ValueError(f"line {number}: not a sample: {line!r}")
        name, label_text, value = match.group(1), match.group(2), match.group(3)
        labels = {}
        if label_text:
            inner, position = label_text[1:-1], 0
            while position < len(inner):
                label = _LABEL.match(inner, position)
                if not label:
                    raise ValueError(f"line {number}: bad labels {label_text!r}")
                if label.group(1) in labels:
                    raise ValueError(f"line {number}: label {label.group(1)} twice")
                labels[label.group(1)] = re.sub(
                    r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), label.group(2))
                position = label.end()
        if value in ("NaN", "+Inf", "-Inf"):
            number_value = float(value.replace("Inf", "inf").replace("NaN", "nan"))
        else:
            number_value = float(value)  # raises ValueError on garbage
        if name not in families or families[name]["type"] is None:
            raise ValueError(f"line {number}: sample of {name} before its TYPE")
        if name in finished or (current not in (None, name) and families[name]["samples"]):
            raise ValueError(f"line {number}: samples of {name} are not grouped together")
        if current not in (None, name):
            finished.add(current)
        current = name
        series = (name, tuple(sorted(labels.items())))
        if series in seen_series:
            raise ValueError(f"line {number}: series {series} twice")
        seen_series.add(series)
        families[name]["samples"].append((labels, number_value))
    return families


def promtool():
    unpacked = os.path.join(SOURCE_DIR, ".tools", "promtool")
    found = unpacked if os.access(unpacked, os.X_OK) else shutil.which("promtool")
    if not found:
        raise AssertionError(
            "promtool is missing: scripts/install-deps.sh unpacks it from Debian's `prometheus` "
            "package into .tools/")
    return found


def assert_promtool_accepts(test, text):
    checked = subprocess.run([promtool(), "check", "metrics"], input=text,
                             capture_output=True, text=True, timeout=60)
    test.assertEqual(checked.returncode, 0,
                     f"promtool check metrics refused it:\n{checked.stdout}{checked.stderr}"
                     f"\n--- the exposition ---\n{text}")


class PrometheusOutput(CheckExpiryCase):
    def prometheus(self, *args, env=None):
        result = self.check("--format", "prometheus", *args, env=env)
        self.assertTrue(result.stdout, f"no output\nstderr: {result.stderr}")
        return result

    def assertPromtoolAccepts(self, text):
        assert_promtool_accepts(self, text)

    def parsed(self, text):
        try:
            return parse_exposition(text)
        except ValueError as error:
            self.fail(f"the exposition does not parse: {error}\n{text}")

    def samples(self, families, metric, kind):
        return [(labels, value) for labels, value in families[metric]["samples"]
                if labels.get("kind") == kind]

    def test_three_gauges_with_help_and_type_pass_promtool_and_the_parser(self):
        url = self.presign("--expires", "2h", "s3://my-bucket/a.csv")
        path = self.write("credentials", f"[default]\nexpiry_time = {later(120)}\n")
        env = self.env_with(AWS_CREDENTIAL_EXPIRATION=later(1200))

        result = self.prometheus("--at", AT, url, "--env", "--file", path, env=env)

        self.assertExit(result, CRITICAL)
        self.assertPromtoolAccepts(result.stdout)
        families = self.parsed(result.stdout)
        for metric in METRICS:
            with self.subTest(metric=metric):
                self.assertIn(metric, families)
                self.assertEqual(families[metric]["type"], "gauge")
                self.assertTrue(families[metric]["help"])
                self.assertEqual(len(families[metric]["samples"]), 3)
                for labels, _ in families[metric]["samples"]:
                    self.assertLessEqual({"kind", "target"}, set(labels))
        expected = {"url": (url.split("?", 1)[0], epoch(AT) + 7200, 7200, OK),
                    "env": (None, epoch(AT) + 1200, 1200, WARNING),
                    "file": (path, epoch(AT) + 120, 120, CRITICAL)}
        for kind, (target, timestamp, remaining, status) in expected.items():
            with self.subTest(kind=kind):
                [(labels, value)] = self.samples(families, METRICS[0], kind)
                self.assertEqual(value, timestamp)
                if target is not None:
                    self.assertEqual(labels["target"], target)
                self.assertEqual(self.samples(families, METRICS[1], kind)[0][1], remaining)
                self.assertEqual(self.samples(families, METRICS[2], kind)[0][1], status)

    def test_target_with_quotes_and_backslashes_is_escaped(self):
        os.mkdir(self.path('we"ird\\dir'))
        path = self.write(os.path.join('we"ird\\dir', "credentials"),
                          f"[default]\nexpiry_time = {later(7200)}\n")

        result = self.prometheus("--at", AT, "--file", path)

        self.assertExit(result, OK)
        self.assertPromtoolAccepts(result.stdout)
        families = self.parsed(result.stdout)
        [(labels, _)] = families["credkit_status"]["samples"]
        self.assertEqual(labels["target"], path)

    def test_unknown_input_still_has_a_status_of_3_and_no_made_up_expiry(self):
        url = self.presign("--expires", "2h", "s3://my-bucket/a.csv")

        result = self.prometheus("--at", AT, url, "--env")

        self.assertExit(result, UNKNOWN)
        self.assertPromtoolAccepts(result.stdout)
        families = self.parsed(result.stdout)
        self.assertEqual([v for _, v in self.samples(families, "credkit_status", "env")],
                         [UNKNOWN])
        for metric in METRICS[:2]:
            for _, value in self.samples(families, metric, "env"):
                # Left out, or NaN: never a made-up number.
                self.assertTrue(math.isnan(value),
                                f"{metric} has the value {value} for an input with no expiry")

    def test_expired_input_has_a_negative_or_zero_remaining(self):
        env = self.env_with(AWS_CREDENTIAL_EXPIRATION=later(-600))

        result = self.prometheus("--at", AT, "--env", env=env)

        self.assertExit(result, CRITICAL)
        self.assertPromtoolAccepts(result.stdout)
        families = self.parsed(result.stdout)
        self.assertLessEqual(families["credkit_remaining_seconds"]["samples"][0][1], 0)
        self.assertEqual(families["credkit_status"]["samples"][0][1], CRITICAL)

    def test_the_parser_refuses_what_promtool_refuses(self):
        good = ("# HELP m A gauge.\n# TYPE m gauge\n"
                'm{kind="file",target="a\\"b"} 1\n')
        self.assertIn("m", parse_exposition(good))
        for bad in (good.replace("# TYPE m gauge\n", ""),      # no TYPE before the sample
                    good.rstrip("\n"),                          # no final newline
                    good.replace('a\\"b', 'a"b'),               # unescaped quote
                    good + 'm{kind="file",target="a\\"b"} 2\n'):  # the same series twice
            with self.subTest(bad=bad):
                with self.assertRaises(ValueError):
                    parse_exposition(bad)


# ---- contrib/monitoring ------------------------------------------------------------------------

MONITORING_DIR = os.path.join(SOURCE_DIR, "contrib", "monitoring")
TEXTFILE_DIR = "/var/lib/prometheus/node-exporter"


def monitoring_file(name):
    return os.path.join(MONITORING_DIR, name)


def example_options(path):
    """(command words, options) of each `credkit check-expiry` an example runs.

    Command lines are found as `credkit check-expiry ...`; Icinga 2's argument keys ("--warn")
    count as options of its command.
    """
    with open(path, encoding="utf-8") as f:
        text = f.read().replace("\\\n", " ")
    found = []
    for match in re.finditer(r"credkit check-expiry([^'\n;>|]*)", text):
        words = match.group(1).split()
        if words and words[0].startswith("-"):  # a command line, not prose about the command
            found.append((words, {w.split("=")[0] for w in words if w.startswith("-")}))
    if path.endswith("icinga2.conf"):
        found.append((["icinga2"], set(re.findall(r'"(--?[a-z][a-z0-9-]*)"', text))))
    return found


class MonitoringExamples(CheckExpiryCase):
    """The examples in contrib/monitoring run, with options check-expiry knows."""

    def files(self):
        return sorted(os.path.join(MONITORING_DIR, name) for name in os.listdir(MONITORING_DIR))

    def test_every_example_uses_only_options_check_expiry_knows(self):
        from test_docs_agree import help_options
        known = help_options("check-expiry") | help_options()
        examples = 0
        for path in self.files():
            for words, options in example_options(path):
                examples += 1
                with self.subTest(path=os.path.basename(path), words=words):
                    self.assertTrue(options)
                    self.assertLessEqual(options, known)
        self.assertGreaterEqual(examples, 6, "expected NRPE, Nagios, Icinga 2, systemd, cron "
                                             "and Ansible examples")

    def run_example(self, command, imds):
        """Runs an example's shell command with its paths moved into the test's HOME."""
        textfiles, run = self.path("textfile"), self.path("run")
        os.mkdir(textfiles)
        os.mkdir(run)
        written = self.credkit("write-s3cfg", "--imds-endpoint", imds.endpoint,
                               "-o", os.path.join(run, "hts.s3cfg"))
        self.assertExit(written, 0)
        bindir = self.path("bin")
        os.mkdir(bindir)
        os.symlink(os.path.abspath(shutil.which(BIN) or BIN), os.path.join(bindir, "credkit"))
        command = command.replace(TEXTFILE_DIR, textfiles).replace("/run/credkit", run).replace(
            "/usr/bin/credkit", "credkit")
        env = self.env_with(PATH=bindir + os.pathsep + self.env.get("PATH", ""),
                            AWS_EC2_METADATA_SERVICE_ENDPOINT=imds.endpoint)
        result = subprocess.run(["sh", "-c", command], env=env, capture_output=True,
                                text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(os.listdir(textfiles), ["credkit.prom"],
                         "the collector must find one .prom file and no temporary one")
        text = read(os.path.join(textfiles, "credkit.prom"))
        assert_promtool_accepts(self, text)
        families = parse_exposition(text)
        kinds = sorted(labels["kind"] for labels, _ in families["credkit_status"]["samples"])
        self.assertEqual(kinds, ["file", "imds"])
        self.assertEqual([v for _, v in families["credkit_status"]["samples"]], [OK, OK])

    def test_textfile_service_writes_a_file_promtool_accepts(self):
        with open(monitoring_file("credkit-expiry-textfile.service"), encoding="utf-8") as f:
            exec_start = re.findall(r"^ExecStart=(.*)$", f.read(), re.M)
        self.assertEqual(len(exec_start), 1)
        argv = shlex.split(exec_start[0])
        self.assertEqual(argv[:2], ["/bin/sh", "-c"])
        self.assertNotIn("$", argv[2], "systemd would expand $ itself")

        with MockImds("--lifetime", "6h") as imds:
            self.run_example(argv[2], imds)

    def test_cron_line_writes_a_file_promtool_accepts(self):
        lines = [line for line in read(monitoring_file("credkit-expiry.cron")).splitlines()
                 if line.strip() and not line.startswith("#")]
        self.assertEqual(len(lines), 1, lines)
        fields = lines[0].split(None, 6)
        self.assertEqual(fields[:5], ["*"] * 5)
        self.assertNotIn("%", fields[6], "cron turns % into a newline")

        with MockImds("--lifetime", "6h") as imds:
            self.run_example(fields[6], imds)

    def test_systemd_units_pass_systemd_analyze_verify(self):
        if not shutil.which("systemd-analyze"):
            self.skipTest("systemd-analyze is not installed")
        units = self.path("units")
        os.mkdir(units)
        binary = os.path.abspath(shutil.which(BIN) or BIN)
        for name in ("credkit-expiry-textfile.service", "credkit-expiry-textfile.timer"):
            text = read(monitoring_file(name)).replace("/usr/bin/credkit", binary)
            with open(os.path.join(units, name), "w", encoding="utf-8") as f:
                f.write(text)

        result = subprocess.run(
            ["systemd-analyze", "verify", "--man=no",
             os.path.join(units, "credkit-expiry-textfile.timer"),
             os.path.join(units, "credkit-expiry-textfile.service")],
            capture_output=True, text=True, timeout=60)

        problems = [line for line in (result.stdout + result.stderr).splitlines()
                    if "credkit-expiry-textfile" in line]
        self.assertEqual(problems, [], result.stderr)
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_alerting_rules_pass_promtool_check_rules(self):
        result = subprocess.run([promtool(), "check", "rules",
                                 monitoring_file("credkit.rules.yml")],
                                capture_output=True, text=True, timeout=60)

        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        for metric in ("credkit_expiry_timestamp_seconds", "credkit_status"):
            self.assertIn(metric, read(monitoring_file("credkit.rules.yml")))

    def test_ansible_tasks_assert_on_the_json_fields(self):
        text = read(monitoring_file("ansible-check-expiry.yml"))
        self.assertIn("ansible.builtin.assert", text)
        for field in ("status", "kind", "target", "expires", "remaining_seconds"):
            self.assertIn(f"item.{field}", text)
        try:
            import yaml
        except ImportError:
            return
        tasks = yaml.safe_load(text)
        self.assertEqual([next(k for k in t if k.startswith("ansible.")) for t in tasks],
                         ["ansible.builtin.command", "ansible.builtin.assert"])


if __name__ == "__main__":
    unittest.main()
