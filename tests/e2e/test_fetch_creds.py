"""credkit fetch-creds against a real mock-imds: every format, files, and every fault."""

import datetime
import json
import os
import shutil
import stat
import subprocess
import unittest

from credkit_test import CredkitTestCase, MockImds, free_port, read

EXIT_FAILURE, EXIT_USAGE, EXIT_NO_CREDENTIALS, EXIT_IMDS, EXIT_WRITE = 1, 2, 3, 4, 5


def parse_time(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc)


class FetchCredsFormats(CredkitTestCase):
    @classmethod
    def setUpClass(cls):
        cls.imds = MockImds("--role", "app-role", "--seed", "7").__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.imds.stop()

    def fetch(self, *args):
        return self.credkit("fetch-creds", "--imds-endpoint", self.imds.endpoint, *args)

    def fetch_json(self):
        result = self.fetch()
        self.assertExit(result, 0)
        return json.loads(result.stdout)

    def test_json_has_every_documented_key_and_future_expiry(self):
        doc = self.fetch_json()

        self.assertEqual(set(doc), {"AccessKeyId", "SecretAccessKey", "SessionToken",
                                    "Expiration", "LastUpdated", "Role"})
        self.assertTrue(doc["AccessKeyId"].startswith("ASIA"))
        self.assertEqual(doc["Role"], "app-role")
        now = datetime.datetime.now(datetime.timezone.utc)
        self.assertGreater(parse_time(doc["Expiration"]), now)
        self.assertLessEqual(parse_time(doc["LastUpdated"]), now)

    def test_credential_process_is_exactly_version_1(self):
        expected = self.fetch_json()

        result = self.fetch("--format", "credential-process")

        self.assertExit(result, 0)
        doc = json.loads(result.stdout)
        self.assertEqual(doc, {"Version": 1, "AccessKeyId": expected["AccessKeyId"],
                               "SecretAccessKey": expected["SecretAccessKey"],
                               "SessionToken": expected["SessionToken"],
                               "Expiration": expected["Expiration"]})

    def test_env_output_sets_the_variables_in_sh(self):
        expected = self.fetch_json()

        result = self.fetch("--format", "env")

        self.assertExit(result, 0)
        script = result.stdout + 'printf "%s\\n%s\\n%s\\n%s" "$AWS_ACCESS_KEY_ID" ' \
            '"$AWS_SECRET_ACCESS_KEY" "$AWS_SESSION_TOKEN" "$AWS_CREDENTIAL_EXPIRATION"'
        shell = subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=True)
        self.assertEqual(shell.stdout.split("\n"),
                         [expected["AccessKeyId"], expected["SecretAccessKey"],
                          expected["SessionToken"], expected["Expiration"]])

    def test_fish_output_uses_set_gx(self):
        result = self.fetch("--format", "fish")

        self.assertExit(result, 0)
        lines = result.stdout.splitlines()
        self.assertEqual(lines[0], "set -e AWS_SECURITY_TOKEN")
        self.assertEqual([line.split()[2] for line in lines[1:]],
                         ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                          "AWS_CREDENTIAL_EXPIRATION"])
        self.assertTrue(all(line.startswith("set -gx ") for line in lines[1:]), lines)

    def test_ini_holds_exactly_the_four_keys_htslib_refreshes_from(self):
        expected = self.fetch_json()

        result = self.fetch("--format", "ini", "--profile", "hts")

        self.assertExit(result, 0)
        lines = result.stdout.splitlines()
        self.assertEqual(lines[0], "[hts]")
        keys = [line.split("=")[0].strip() for line in lines[1:] if line.strip()]
        self.assertEqual(keys, ["aws_access_key_id", "aws_secret_access_key",
                                "aws_session_token", "expiry_time"])
        self.assertIn(f"expiry_time = {expected['Expiration']}", lines)

    def test_s3cfg_holds_access_token_and_expiry_comment(self):
        expected = self.fetch_json()

        result = self.fetch("--format", "s3cfg")

        self.assertExit(result, 0)
        lines = result.stdout.splitlines()
        self.assertEqual(lines[0], "[default]")
        self.assertIn(f"access_key = {expected['AccessKeyId']}", lines)
        self.assertIn(f"access_token = {expected['SessionToken']}", lines)
        self.assertIn(f"# credkit: credentials expire at {expected['Expiration']}", lines)

    def test_metadata_adds_region_zone_instance_and_account(self):
        result = self.fetch("--metadata")

        self.assertExit(result, 0)
        doc = json.loads(result.stdout)
        self.assertEqual(doc["Region"], "us-east-1")
        self.assertEqual(doc["AvailabilityZone"], "us-east-1a")
        self.assertEqual(doc["InstanceId"], "i-0123456789abcdef0")
        self.assertEqual(doc["AccountId"], "123456789012")

    def test_metadata_exports_the_region_in_env_format(self):
        result = self.fetch("--format", "env", "--metadata")

        self.assertExit(result, 0)
        self.assertIn("export AWS_REGION='us-east-1'", result.stdout)
        self.assertIn("export AWS_DEFAULT_REGION='us-east-1'", result.stdout)

    def test_metadata_with_a_format_that_has_no_room_is_a_usage_error(self):
        result = self.fetch("--format", "ini", "--metadata")

        self.assertExit(result, EXIT_USAGE)
        self.assertIn("credkit: error: --metadata does not fit --format ini", result.stderr)

    def test_unknown_format_is_a_usage_error(self):
        result = self.fetch("--format", "yaml")

        self.assertExit(result, EXIT_USAGE)
        self.assertTrue(result.stderr.startswith("credkit: error: "), result.stderr)

    def test_endpoint_from_environment_variable(self):
        env = dict(self.env, AWS_EC2_METADATA_SERVICE_ENDPOINT=self.imds.endpoint)

        result = self.credkit("fetch-creds", env=env)

        self.assertExit(result, 0)
        self.assertIn("AccessKeyId", result.stdout)

    def test_endpoint_from_config_file(self):
        config = self.path("config.yaml")
        with open(config, "w") as f:
            f.write(f"imds:\n  endpoint: {self.imds.endpoint}\n  role: app-role\n")

        result = self.credkit("--config", config, "fetch-creds")

        self.assertExit(result, 0)

    def test_unknown_config_key_names_file_and_line(self):
        config = self.path("config.yaml")
        with open(config, "w") as f:
            f.write(f"imds:\n  endpoint: {self.imds.endpoint}\n  retry: 3\n")

        result = self.credkit("--config", config, "fetch-creds")

        self.assertExit(result, EXIT_USAGE)
        self.assertIn(f"credkit: error: invalid config {config}:3: unknown key 'imds.retry'",
                      result.stderr)

    def test_disabled_by_environment_sends_nothing(self):
        env = dict(self.env, AWS_EC2_METADATA_DISABLED="true")

        result = self.credkit("fetch-creds", "--imds-endpoint", self.imds.endpoint, env=env)

        self.assertExit(result, EXIT_IMDS)
        self.assertIn("AWS_EC2_METADATA_DISABLED", result.stderr)


class FetchCredsFiles(CredkitTestCase):
    @classmethod
    def setUpClass(cls):
        cls.imds = MockImds().__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.imds.stop()

    def fetch(self, *args):
        return self.credkit("fetch-creds", "--imds-endpoint", self.imds.endpoint, *args)

    def test_output_file_is_written_with_mode_0600_and_nothing_on_stdout(self):
        target = self.path("creds.json")

        result = self.fetch("-o", target)

        self.assertExit(result, 0)
        self.assertEqual(result.stdout, "")
        self.assertEqual(stat.S_IMODE(os.stat(target).st_mode), 0o600)
        self.assertIn("AccessKeyId", json.loads(read(target)))

    def test_output_file_mode_can_be_chosen(self):
        target = self.path("creds.ini")

        result = self.fetch("--format", "ini", "-o", target, "--mode", "0640")

        self.assertExit(result, 0)
        self.assertEqual(stat.S_IMODE(os.stat(target).st_mode), 0o640)

    def test_output_file_replaces_the_old_content_whole(self):
        target = self.path("creds.ini")
        with open(target, "w") as f:
            f.write("old content that is longer than the new one would ever be\n" * 100)

        result = self.fetch("--format", "ini", "-o", target)

        self.assertExit(result, 0)
        self.assertTrue(read(target).startswith("[default]\naws_access_key_id = "))

    def test_write_into_read_only_directory_fails_and_keeps_the_old_file(self):
        locked = self.path("locked")
        os.mkdir(locked)
        target = os.path.join(locked, "creds.ini")
        with open(target, "w") as f:
            f.write("[default]\nold = yes\n")
        os.chmod(target, 0o644)
        os.chmod(locked, 0o555)
        os.chmod(self.home, 0o755)
        command = ["fetch-creds", "--imds-endpoint", self.imds.endpoint, "--format", "ini",
                   "-o", target]
        if os.geteuid() == 0:
            # root writes anywhere: run credkit as nobody, for whom the directory is read-only.
            result = self._run_as_nobody(command)
        else:
            result = self.credkit(*command)

        os.chmod(locked, 0o755)
        self.assertExit(result, EXIT_WRITE)
        self.assertIn(f"credkit: error: cannot write {target}", result.stderr)
        self.assertIn("ermission denied", result.stderr)
        self.assertEqual(read(target), "[default]\nold = yes\n")
        self.assertEqual(os.listdir(locked), ["creds.ini"])

    def _run_as_nobody(self, command):
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            self.skipTest("setpriv is needed to drop root for this test")
        from credkit_test import BIN
        os.chmod(BIN, os.stat(BIN).st_mode | 0o555)
        return subprocess.run(
            [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", BIN, *command],
            env=self.env, capture_output=True, text=True, timeout=60)

    def test_write_into_missing_directory_fails_with_write_exit_code(self):
        target = self.path("no", "such", "dir", "creds.json")

        result = self.fetch("-o", target)

        self.assertExit(result, EXIT_WRITE)
        self.assertIn(f"cannot write {target}", result.stderr)


class FetchCredsFaults(CredkitTestCase):
    """Each IMDS failure is explained by its cause, with the documented exit code."""

    def fetch_with(self, *fault_args, extra=()):
        with MockImds(*fault_args) as imds:
            return self.credkit("fetch-creds", "--imds-endpoint", imds.endpoint,
                                "--imds-timeout", "300ms", "--imds-attempts", "2", *extra)

    def test_imds_turned_off_gives_403_explanation(self):
        result = self.fetch_with("--fault", "status:403@/latest/api/token")

        self.assertExit(result, EXIT_IMDS)
        self.assertIn("credkit: error: cannot get an imds session token: imds answered 403 "
                      "forbidden", result.stderr)
        self.assertIn("hint: turn it on", result.stderr)

    def test_bad_ttl_gives_400_explanation(self):
        result = self.fetch_with("--fault", "status:400@/latest/api/token")

        self.assertExit(result, EXIT_IMDS)
        self.assertIn("token lifetime header is missing or outside 1s..6h", result.stderr)

    def test_wrong_server_gives_405_explanation(self):
        result = self.fetch_with("--fault", "status:405@/latest/api/token")

        self.assertExit(result, EXIT_IMDS)
        self.assertIn("not an instance metadata service", result.stderr)

    def test_no_role_attached_is_no_credentials(self):
        result = self.fetch_with("--no-role")

        self.assertExit(result, EXIT_NO_CREDENTIALS)
        self.assertIn("no iam role is attached to this instance", result.stderr)
        self.assertIn("hint: attach an instance profile", result.stderr)

    def test_unknown_role_is_no_credentials(self):
        result = self.fetch_with(extra=("--role", "not-this-one"))

        self.assertExit(result, EXIT_NO_CREDENTIALS)
        self.assertIn("cannot fetch credentials for role 'not-this-one'", result.stderr)

    def test_throttling_once_is_retried_transparently(self):
        result = self.fetch_with("--fault", "status:429@/latest/api/token*1")

        self.assertExit(result, 0)
        self.assertIn("AccessKeyId", result.stdout)

    def test_throttling_throughout_is_explained(self):
        result = self.fetch_with("--fault", "status:429@/latest/api/token")

        self.assertExit(result, EXIT_IMDS)
        self.assertIn("429 too many requests", result.stderr)

    def test_server_error_on_credentials_is_explained(self):
        result = self.fetch_with("--fault", "status:503@/latest/meta-data/iam/*")

        self.assertExit(result, EXIT_IMDS)
        self.assertIn("503 service unavailable", result.stderr)

    def test_expired_token_is_renewed_once(self):
        result = self.fetch_with("--fault", "status:401@/latest/meta-data/iam/*1")

        self.assertExit(result, 0)

    def test_connection_refused_points_at_mock_imds(self):
        port = free_port()

        result = self.credkit("fetch-creds", "--imds-endpoint", f"http://127.0.0.1:{port}",
                              "--imds-attempts", "1")

        self.assertExit(result, EXIT_IMDS)
        self.assertIn(f"connection to http://127.0.0.1:{port} refused", result.stderr)
        self.assertIn("credkit mock-imds", result.stderr)

    def test_token_put_dropped_is_the_hop_limit_signature(self):
        result = self.fetch_with("--fault", "drop-token-put")

        self.assertExit(result, EXIT_IMDS)
        self.assertIn("hop limit is too low", result.stderr)
        self.assertIn("--http-put-response-hop-limit 2", result.stderr)

    def test_token_put_dropped_falls_back_to_v1_when_allowed(self):
        result = self.fetch_with("--fault", "drop-token-put", "--allow-v1",
                                 extra=("--allow-imdsv1",))

        self.assertExit(result, 0)
        self.assertIn("credkit: warning: falling back to IMDSv1", result.stderr)

    def test_slow_answer_within_the_timeout_succeeds(self):
        result = self.fetch_with("--fault", "delay:100ms")

        self.assertExit(result, 0)

    def test_hanging_imds_times_out_with_explanation(self):
        result = self.fetch_with("--fault", "hang")

        self.assertExit(result, EXIT_IMDS)
        self.assertIn("no answer from", result.stderr)

    def test_malformed_json_is_explained_without_quoting_it(self):
        result = self.fetch_with("--fault", "malformed-json")

        self.assertExit(result, EXIT_IMDS)
        self.assertIn("imds returned malformed credentials", result.stderr)
        self.assertEqual(result.stdout, "")

    def test_expired_credentials_are_printed_with_a_warning(self):
        result = self.fetch_with("--fault", "expired")

        self.assertExit(result, 0)
        self.assertIn("AccessKeyId", result.stdout)
        self.assertRegex(result.stderr, r"credkit: warning: credentials for key \*\*\*\*\w{4} "
                                        r"expired at \S+Z \(\S+ ago by the local clock\)")


class CommandLine(CredkitTestCase):
    def test_version_prints_the_version(self):
        result = self.credkit("--version")

        self.assertExit(result, 0)
        self.assertRegex(result.stdout, r"^credkit \d+\.\d+\.\d+")

    def test_no_subcommand_is_a_usage_error_with_a_hint(self):
        result = self.credkit()

        self.assertExit(result, EXIT_USAGE)
        self.assertIn("hint: see 'credkit --help'", result.stderr)

    def test_unknown_option_names_the_subcommand_help(self):
        result = self.credkit("fetch-creds", "--no-such-option")

        self.assertExit(result, EXIT_USAGE)
        self.assertIn("hint: see 'credkit fetch-creds --help'", result.stderr)

    def test_bad_duration_is_a_usage_error(self):
        result = self.credkit("fetch-creds", "--imds-token-ttl", "7h")

        self.assertExit(result, EXIT_USAGE)
        self.assertIn("credkit: error: invalid --imds-token-ttl '7h'", result.stderr)


if __name__ == "__main__":
    unittest.main()
