"""credkit diagnose as a user meets it, and the incident this product exists for.

The incident: a refresher keeps rewriting the shared credentials file for htslib; a long-lived
boto3 process read that file once and goes on signing with its first keys after they rotate.
The test reproduces it for real (a `write-s3cfg --watch`, a boto3 process that stays up,
mock-imds rotating keys), checks that boto3 really is stuck, that `diagnose` names the hazard
for that file and that key, and that after the fix (an s3cfg for htslib, the instance role for
boto3) the hazard is gone and boto3 holds refreshable role credentials.
"""

import json
import os
import signal
import subprocess
import sys
import time
import unittest

from credkit_test import BIN, CredkitTestCase, MockImds, python, read, terminate

# A boto3 program that stays up: it resolves credentials once, as a web service does at start,
# then on every line of stdin reports the method and the key it would sign with now.
LONG_LIVED_BOTO3 = r"""
import json, sys
import boto3
session = boto3.Session()
credentials = session.get_credentials()
for line in sys.stdin:
    frozen = credentials.get_frozen_credentials()
    print(json.dumps({"method": credentials.method, "key": frozen.access_key,
                      "refreshable": hasattr(credentials, "refresh_needed")}), flush=True)
"""

ROTATING_KEYS = [
    {"AccessKeyId": f"ASIAROTATION0000000{n}", "SecretAccessKey": f"rotation-secret-{n}",
     "Token": f"rotation-token-{n}"}
    for n in range(1, 10)
]


class LongLivedBoto3:
    def __init__(self, env):
        self.process = subprocess.Popen([python(), "-c", LONG_LIVED_BOTO3], env=env, text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE)

    def ask(self):
        self.process.stdin.write("?\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise AssertionError(f"boto3 process died: {self.process.stderr.read()}")
        return json.loads(line)

    def stop(self):
        self.process.stdin.close()
        self.process.wait(timeout=10)
        self.process.stdout.close()
        self.process.stderr.close()


class Diagnose(CredkitTestCase):
    def diagnose(self, *args, env=None):
        result = self.credkit("diagnose", "--format", "json", *args, env=env)
        self.assertIn(result.returncode, (0, 1, 2), result.stderr)
        report = json.loads(result.stdout)
        self.assertEqual(report["exit"], result.returncode)
        return report

    def tool(self, report, name):
        return next(t for t in report["tools"] if t["tool"] == name)

    def codes(self, report, tool=None):
        return [h["code"] for h in report["hazards"] if tool is None or h["tool"] == tool]

    def write_file(self, name, text, mode=0o600):
        path = self.path(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path


class TheIncident(Diagnose):
    """A refresher-written shared credentials file read by a long-lived boto3 process."""

    def setUp(self):
        super().setUp()
        keys = self.write_file("keys.json", json.dumps(ROTATING_KEYS))
        self.imds = MockImds("--credentials-file", keys, "--rotate-every", "3s",
                             "--lifetime", "14m").__enter__()
        self.addCleanup(self.imds.stop)
        self.env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = self.imds.endpoint

    def start_refresher(self, config_text):
        config = self.write_file("credkit.yaml", config_text)
        process = subprocess.Popen([BIN, "--config", config, "write-s3cfg", "--watch",
                                    "--max-interval", "1s"],
                                   env=self.env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        self.addCleanup(terminate, process)
        return process

    def wait_for_file(self, path, seconds=10):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if os.path.exists(path) and "=" in read(path):
                return
            time.sleep(0.05)
        self.fail(f"{path} was never written")

    def key_in(self, path, key):
        for line in read(path).splitlines():
            name, _, value = line.partition("=")
            if name.strip() == key:
                return value.strip()
        return None

    def test_the_trap_is_flagged_and_the_fix_clears_it(self):
        # The trap: the refresher writes the shared credentials file, boto3 reads it.
        credentials = self.path(".aws", "credentials")
        os.makedirs(os.path.dirname(credentials))
        self.env["AWS_SHARED_CREDENTIALS_FILE"] = credentials
        refresher = self.start_refresher(
            f"outputs:\n  - path: {credentials}\n    format: aws-credentials\n")
        self.wait_for_file(credentials)
        boto3 = LongLivedBoto3(self.env)
        self.addCleanup(boto3.stop)
        first = boto3.ask()

        # The refresher follows the rotation; boto3 does not.
        deadline = time.monotonic() + 20
        while self.key_in(credentials, "aws_access_key_id") == first["key"]:
            self.assertLess(time.monotonic(), deadline, "the refresher never rewrote the file")
            time.sleep(0.2)
        report = self.diagnose("--tool", "boto3")
        later = boto3.ask()

        self.assertEqual(first["method"], "shared-credentials-file")
        self.assertEqual(later, first, "boto3 should still sign with the keys it read first")
        boto3_view = self.tool(report, "boto3")
        self.assertEqual(boto3_view["source"]["method"], "shared-credentials-file")
        self.assertEqual(boto3_view["source"]["location"], credentials)
        self.assertFalse(boto3_view["source"]["refreshes"])
        self.assertEqual(self.codes(report)[0], "boto3-reads-refreshed-file")
        central = report["hazards"][0]
        self.assertEqual((central["severity"], central["tool"]), ("error", "boto3"))
        self.assertIn(f"pid {refresher.pid}", central["finding"])
        self.assertIn("HTS_S3_S3CFG", central["fix"])
        self.assertEqual(report["exit"], 2)

        # The fix: the refresher writes an s3cfg for htslib; boto3 goes back to the role.
        terminate(refresher)
        os.remove(credentials)
        s3cfg = self.path("hts.s3cfg")
        self.start_refresher(f"outputs:\n  - path: {s3cfg}\n    format: s3cfg\n")
        self.wait_for_file(s3cfg)
        fixed_env = dict(self.env, HTS_S3_S3CFG=s3cfg)
        del fixed_env["AWS_SHARED_CREDENTIALS_FILE"]
        boto3_fixed = LongLivedBoto3(fixed_env)
        self.addCleanup(boto3_fixed.stop)
        on_role = boto3_fixed.ask()
        fixed = self.diagnose("--tool", "boto3,htslib", env=fixed_env)

        # botocore renews role keys 15 minutes before they end (REFERENCE.md), too slow to
        # watch here; that the credentials it holds are refreshable is what the fix needs.
        self.assertEqual(on_role["method"], "iam-role")
        self.assertTrue(on_role["refreshable"])
        self.assertFalse(first["refreshable"])
        self.assertEqual(self.tool(fixed, "boto3")["source"]["method"], "iam-role")
        self.assertTrue(self.tool(fixed, "boto3")["source"]["refreshes"])
        htslib = self.tool(fixed, "htslib")["source"]
        self.assertEqual((htslib["method"], htslib["location"]), ("s3cfg", s3cfg))
        self.assertNotIn("boto3-reads-refreshed-file", self.codes(fixed))
        self.assertNotIn("env-shadows-refreshed-file", self.codes(fixed))
        self.assertEqual(fixed["exit"], 0, fixed["hazards"])


class CommandLine(Diagnose):
    def test_json_names_every_tool_in_order_by_default(self):
        report = self.diagnose("--no-probe")

        self.assertEqual([t["tool"] for t in report["tools"]], ["boto3", "awscli", "htslib", "s3cmd"])
        self.assertEqual(report["probe"], {"ran": False, "reason": "--no-probe"})
        self.assertEqual(report["version"], 1)

    def test_tool_takes_a_list_and_repeats(self):
        report = self.diagnose("--no-probe", "--tool", "s3cmd,boto3", "--tool", "htslib")

        self.assertEqual([t["tool"] for t in report["tools"]], ["s3cmd", "boto3", "htslib"])

    def test_unknown_tool_is_a_usage_error(self):
        result = self.credkit("diagnose", "--tool", "rclone")

        self.assertExit(result, 2)
        self.assertEqual(result.stdout, "")
        self.assertIn("credkit: error: --tool", result.stderr)

    def test_a_url_that_is_not_s3_is_a_usage_error(self):
        result = self.credkit("diagnose", "--url", "https://bucket.s3.amazonaws.com/key")

        self.assertExit(result, 2)
        self.assertIn("credkit: error: --url must be an s3:// URL", result.stderr)

    def test_nothing_anywhere_exits_2_with_a_finding_per_tool(self):
        self.env["AWS_EC2_METADATA_DISABLED"] = "true"

        report = self.diagnose("--no-probe", "--tool", "boto3,s3cmd")

        self.assertEqual(report["exit"], 2)
        self.assertEqual(sorted(h["tool"] for h in report["hazards"]), ["boto3", "s3cmd"])

    def test_a_warning_alone_exits_1(self):
        self.env.update(AWS_ACCESS_KEY_ID="AKIAEXAMPLEKEY000042", AWS_SECRET_ACCESS_KEY="secret",
                        http_proxy="http://127.0.0.1:9")

        report = self.diagnose("--no-probe", "--tool", "boto3")

        self.assertEqual(self.codes(report), ["imds-proxy"])
        self.assertEqual(report["exit"], 1)
        self.assertEqual(self.tool(report, "boto3")["source"]["key_id"], "****0042")

    def test_clean_machine_exits_0(self):
        self.env.update(AWS_ACCESS_KEY_ID="AKIAEXAMPLEKEY000042", AWS_SECRET_ACCESS_KEY="secret")

        result = self.credkit("diagnose", "--no-probe", "--tool", "boto3")

        self.assertExit(result, 0)
        self.assertIn("boto3 (profile default): ok", result.stdout)
        self.assertIn("uses      env  AWS_ACCESS_KEY_ID", result.stdout)
        self.assertIn("hazards: none found", result.stdout)

    def test_text_report_lists_hazards_then_fixes(self):
        self.env["AWS_SHARED_CREDENTIALS_FILE"] = self.write_file(
            ".aws/credentials", "[default]\naws_access_key_id = AKIAEXAMPLEKEY000043\n"
            "aws_secret_access_key = secret\n", mode=0o644)

        result = self.credkit("diagnose", "--no-probe", "--tool", "boto3")

        self.assertExit(result, 1)
        hazards = result.stdout.index("hazards:")
        fixes = result.stdout.index("fixes:")
        self.assertLess(hazards, fixes)
        self.assertIn("warning  file-permissions (all)", result.stdout[hazards:fixes])
        self.assertIn(f"file-permissions: chmod 600 {self.path('.aws', 'credentials')}",
                      result.stdout[fixes:])

    def test_list_hazards_prints_the_catalogue(self):
        result = self.credkit("diagnose", "--list-hazards")

        self.assertExit(result, 0)
        codes = [line.split()[0] for line in result.stdout.splitlines()]
        self.assertEqual(codes[0], "boto3-reads-refreshed-file")
        self.assertEqual(len(codes), len(set(codes)))
        self.assertIn("clock-skew", codes)

    def test_no_probe_does_not_run_credential_process(self):
        marker = self.path("ran")
        self.write_file(".aws/config",
                        f"[default]\ncredential_process = touch {marker}\n")
        self.env["AWS_CONFIG_FILE"] = self.path(".aws", "config")

        report = self.diagnose("--no-probe", "--tool", "boto3")

        self.assertFalse(os.path.exists(marker))
        source = self.tool(report, "boto3")["source"]
        self.assertEqual(source["method"], "custom-process")
        self.assertIsNone(source["key_id"])
        self.assertEqual(self.tool(report, "boto3")["status"], "unverified")

    def test_credential_process_runs_by_default_and_its_command_line_stays_hidden(self):
        helper = self.write_file("bin/creds-helper", "#!/bin/sh\necho '{\"Version\": 1, "
                                 "\"AccessKeyId\": \"AKIAEXAMPLEKEY00PROC\", "
                                 "\"SecretAccessKey\": \"s\"}'\n", mode=0o700)
        config = self.write_file(".aws/config",
                                 f"[default]\ncredential_process = {helper} --password hunter2\n")
        self.env["AWS_CONFIG_FILE"] = config

        result = self.credkit("diagnose", "--format", "json", "--tool", "boto3")

        source = self.tool(json.loads(result.stdout), "boto3")["source"]
        self.assertEqual((source["method"], source["key_id"]), ("custom-process", "****PROC"))
        self.assertEqual(source["location"], config)
        self.assertNotIn("hunter2", result.stdout + result.stderr)

    def test_probes_are_off_by_default_off_ec2_without_an_endpoint(self):
        report = self.diagnose()

        self.assertFalse(report["probe"]["ran"])
        self.assertIn("--probe", report["probe"]["reason"])
        boto3 = self.tool(report, "boto3")
        self.assertEqual((boto3["status"], boto3["source"]["method"]), ("unverified", "iam-role"))

    def test_metadata_disabled_turns_probes_off_even_when_asked(self):
        self.env["AWS_EC2_METADATA_DISABLED"] = "true"

        report = self.diagnose("--probe")

        self.assertEqual(report["probe"]["reason"], "AWS_EC2_METADATA_DISABLED is true")


class Probes(Diagnose):
    """Hazards only asking the metadata service can find, rehearsed with mock-imds faults."""

    def probe(self, *mock_args, tool="boto3"):
        with MockImds(*mock_args) as imds:
            env = dict(self.env, AWS_EC2_METADATA_SERVICE_ENDPOINT=imds.endpoint)
            return self.diagnose("--tool", tool, env=env)

    def test_an_endpoint_in_the_environment_turns_probes_on(self):
        report = self.probe("--seed", "3")

        self.assertTrue(report["probe"]["ran"])
        self.assertEqual(report["probe"]["token"]["status"], 200)
        self.assertEqual(self.tool(report, "boto3")["source"]["method"], "iam-role")
        self.assertEqual(report["hazards"], [])

    def test_an_endpoint_in_the_config_file_turns_probes_on(self):
        with MockImds("--seed", "4") as imds:
            config = self.write_file("credkit.yaml", f"imds:\n  endpoint: {imds.endpoint}\n")

            report = self.diagnose("--tool", "boto3", env=dict(self.env, CREDKIT_CONFIG=config))

        self.assertTrue(report["probe"]["ran"])
        self.assertEqual(report["probe"]["endpoint"], imds.endpoint)

    def test_a_dropped_token_put_is_named_as_the_hop_limit(self):
        report = self.probe("--fault", "drop-token-put", "--allow-v1")

        self.assertIn("imds-hop-limit", self.codes(report))
        self.assertIn("--http-put-response-hop-limit 2",
                      next(h["fix"] for h in report["hazards"] if h["code"] == "imds-hop-limit"))

    def test_a_refused_token_with_v1_answering_is_imdsv1_only(self):
        report = self.probe("--fault", "status:403@/latest/api/token", "--allow-v1")

        self.assertIn("imdsv1-only", self.codes(report))

    def test_v1_still_answering_beside_v2_is_information(self):
        report = self.probe("--allow-v1")

        self.assertEqual(self.codes(report), ["imdsv1-enabled"])
        self.assertEqual(report["exit"], 0)

    def test_a_skewed_instance_clock_is_flagged(self):
        report = self.probe("--clock-skew", "20m")

        skew = [h for h in report["hazards"] if h["code"] == "clock-skew"]
        self.assertEqual(len(skew), 1)
        self.assertEqual(skew[0]["severity"], "error")
        self.assertAlmostEqual(report["probe"]["clock_skew_seconds"], 1200, delta=5)

    def test_an_unreachable_endpoint_ends_within_the_budget(self):
        import socket
        silent = socket.socket()
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # accepts connections, never answers
        self.addCleanup(silent.close)
        env = dict(self.env,
                   AWS_EC2_METADATA_SERVICE_ENDPOINT=f"http://127.0.0.1:{silent.getsockname()[1]}")

        started = time.monotonic()
        report = self.diagnose("--tool", "boto3", env=env)
        took = time.monotonic() - started

        self.assertTrue(report["probe"]["ran"])
        self.assertEqual(report["probe"]["token"]["failure"], "timed-out")
        self.assertEqual(report["tools"][0]["status"], "no-credentials")
        self.assertLess(took, 10, "a generous bound; bench/diagnose_latency.py measures it")


if __name__ == "__main__":
    unittest.main()
