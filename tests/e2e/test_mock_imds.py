"""credkit mock-imds as a user meets it: start, stop, addresses, rotation, and peers."""

import calendar
import email.utils
import json
import os
import signal
import socket
import subprocess
import time
import unittest
import urllib.error
import urllib.request

from credkit_test import BIN, CredkitTestCase, MockImds, python, read

RESOLVE_KEY = ("import botocore.session; "
               "c = botocore.session.get_session().get_credentials(); "
               "print(c.method, c.get_frozen_credentials().access_key)")


class MockImdsLifecycle(CredkitTestCase):
    def test_prints_its_endpoint_and_stops_cleanly_on_sigterm(self):
        imds = MockImds().__enter__()

        code = imds.stop()

        self.assertRegex(imds.endpoint, r"^http://127\.0\.0\.1:\d+$")
        self.assertEqual(code, 0)

    def test_stops_cleanly_on_sigint(self):
        with MockImds() as imds:
            imds.process.send_signal(signal.SIGINT)
            self.assertEqual(imds.process.wait(timeout=10), 0)

    def test_stops_promptly_while_a_request_hangs(self):
        with MockImds("--fault", "hang") as imds:
            client = subprocess.Popen([BIN, "fetch-creds", "--imds-endpoint", imds.endpoint,
                                       "--imds-timeout", "20s", "--imds-attempts", "1"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.5)
            started = time.monotonic()

            code = imds.stop()

            client.kill()
            client.wait()
        self.assertEqual(code, 0)
        self.assertLess(time.monotonic() - started, 5)

    def test_port_file_holds_the_port(self):
        port_file = self.path("port")

        with MockImds("--port-file", port_file) as imds:
            port = read(port_file).strip()

        self.assertTrue(imds.endpoint.endswith(":" + port))

    def test_port_in_use_is_a_clear_failure(self):
        with MockImds() as imds:
            port = imds.endpoint.rsplit(":", 1)[1]

            result = self.credkit("mock-imds", "--listen", f"127.0.0.1:{port}", timeout=10)

        self.assertExit(result, 1)
        self.assertIn("credkit: error: ", result.stderr)
        self.assertIn("already in use", result.stderr)

    def test_non_loopback_address_is_refused(self):
        result = self.credkit("mock-imds", "--listen", "0.0.0.0:0", timeout=10)

        self.assertExit(result, 2)
        self.assertIn("loopback", result.stderr)

    def test_bad_fault_spec_is_a_usage_error(self):
        result = self.credkit("mock-imds", "--fault", "status:abc", timeout=10)

        self.assertExit(result, 2)
        self.assertIn("credkit: error: --fault", result.stderr)


class MockImdsServes(CredkitTestCase):
    def test_rotation_serves_new_keys_before_the_old_expire(self):
        with MockImds("--rotate-every", "2s", "--lifetime", "10s") as imds:
            first = json.loads(self.credkit("fetch-creds", "--imds-endpoint",
                                            imds.endpoint).stdout)
            time.sleep(2.2)
            second = json.loads(self.credkit("fetch-creds", "--imds-endpoint",
                                             imds.endpoint).stdout)

        self.assertNotEqual(first["AccessKeyId"], second["AccessKeyId"])
        self.assertLess(first["Expiration"], second["Expiration"])
        self.assertLess(second["LastUpdated"], first["Expiration"])

    def test_same_seed_serves_the_same_keys(self):
        keys = []
        for _ in range(2):
            with MockImds("--seed", "99") as imds:
                doc = json.loads(self.credkit("fetch-creds", "--imds-endpoint",
                                              imds.endpoint).stdout)
                keys.append(doc["AccessKeyId"])

        self.assertEqual(keys[0], keys[1])

    def test_botocore_resolves_iam_role_over_ipv6_loopback(self):
        if not socket.has_ipv6:
            self.skipTest("no IPv6 on this machine")
        process = subprocess.Popen([BIN, "mock-imds", "--listen", "[::1]:0"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            endpoint = process.stdout.readline().strip()
            if not endpoint.startswith("http://[::1]:"):
                self.skipTest(f"IPv6 loopback unavailable: {process.stderr.read()}")
            env = dict(self.env, AWS_EC2_METADATA_SERVICE_ENDPOINT=endpoint)
            ours = json.loads(self.credkit("fetch-creds", env=env).stdout)

            theirs = subprocess.run([python(), "-c", RESOLVE_KEY], env=env,
                                    capture_output=True, text=True, timeout=60)
        finally:
            process.terminate()
            process.wait(timeout=10)
            process.stdout.close()
            process.stderr.close()

        self.assertEqual(theirs.stdout.split(), ["iam-role", ours["AccessKeyId"]])

    def test_identity_document_carries_the_configured_instance(self):
        with MockImds("--region", "eu-west-1", "--instance-id", "i-0feed",
                      "--account-id", "210987654321") as imds:
            result = self.credkit("fetch-creds", "--imds-endpoint", imds.endpoint, "--metadata")

        doc = json.loads(result.stdout)
        self.assertEqual((doc["Region"], doc["AvailabilityZone"], doc["InstanceId"],
                          doc["AccountId"]),
                         ("eu-west-1", "eu-west-1a", "i-0feed", "210987654321"))


def answer_date(endpoint, path, method="GET", headers=None):
    """The server's Date header, as seconds since the epoch, whatever the status."""
    request = urllib.request.Request(endpoint + path, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            date = response.headers["Date"]
    except urllib.error.HTTPError as error:
        date = error.headers["Date"]
    return email.utils.parsedate_to_datetime(date).timestamp()


def rfc3339_seconds(text):
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))


class MockImdsClock(CredkitTestCase):
    TTL = {"X-aws-ec2-metadata-token-ttl-seconds": "60"}

    def test_every_answer_carries_a_date_header_on_this_clock(self):
        with MockImds() as imds:
            dates = [answer_date(imds.endpoint, "/latest/api/token", "PUT", self.TTL),
                     answer_date(imds.endpoint, "/latest/meta-data/iam/security-credentials/"),
                     answer_date(imds.endpoint, "/no/such/path")]

        for date in dates:
            self.assertAlmostEqual(date, time.time(), delta=5)

    def test_clock_skew_moves_the_date_header_and_the_credential_times(self):
        with MockImds("--clock-skew=-10m", "--lifetime", "1h", "--rotate-every", "30m") as imds:
            date = answer_date(imds.endpoint, "/latest/api/token", "PUT", self.TTL)
            creds = json.loads(self.credkit("fetch-creds", "--imds-endpoint",
                                            imds.endpoint).stdout)

        now = time.time()
        self.assertAlmostEqual(date, now - 600, delta=5)
        self.assertAlmostEqual(rfc3339_seconds(creds["LastUpdated"]), now - 600, delta=5)
        self.assertAlmostEqual(rfc3339_seconds(creds["Expiration"]), now - 600 + 3600, delta=5)

    def test_clock_skew_ahead_takes_a_plus_sign_or_none(self):
        for skew in ("+2h", "2h"):
            with self.subTest(skew=skew), MockImds("--clock-skew", skew) as imds:
                date = answer_date(imds.endpoint, "/latest/api/token", "PUT", self.TTL)

                self.assertAlmostEqual(date, time.time() + 7200, delta=5)

    def test_diagnose_sees_the_skew_through_the_date_header(self):
        codes = {}
        for skew in ("0s", "-20m"):
            with MockImds(f"--clock-skew={skew}") as imds:
                result = self.credkit("diagnose", "--probe", "--imds-endpoint", imds.endpoint,
                                      "--format", "json")
            codes[skew] = {hazard["code"] for hazard in json.loads(result.stdout)["hazards"]}

        self.assertNotIn("clock-skew", codes["0s"])
        self.assertIn("clock-skew", codes["-20m"])

    def test_bad_clock_skew_is_a_usage_error(self):
        for skew in ("1500ms", "soon", "-3653d"):
            with self.subTest(skew=skew):
                result = self.credkit("mock-imds", f"--clock-skew={skew}", timeout=10)

                self.assertExit(result, 2)
                self.assertIn("credkit: error: --clock-skew", result.stderr)


if __name__ == "__main__":
    unittest.main()
