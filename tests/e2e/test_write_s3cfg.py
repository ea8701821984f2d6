"""credkit write-s3cfg as operators and Ansible meet it: files written, kept, left alone."""

import json
import os
import re
import shutil
import signal
import stat
import subprocess
import time
import unittest

from credkit_test import BIN, CredkitTestCase, MockImds, read

EXIT_USAGE, EXIT_WRITE = 2, 5


def section_keys(text, section):
    """The keys of one section of an INI text, in order."""
    keys, current = [], None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            current = stripped.strip("[]")
        elif current == section and "=" in stripped and not stripped.startswith("#"):
            keys.append(stripped.split("=", 1)[0].strip())
    return keys


def value_of(text, key):
    match = re.search(rf"^{re.escape(key)}\s*=\s*(.*)$", text, re.MULTILINE)
    return match.group(1).strip() if match else None


class WriteS3cfgOnce(CredkitTestCase):
    @classmethod
    def setUpClass(cls):
        cls.imds = MockImds("--seed", "11").__enter__()
        cls.fetched = None

    @classmethod
    def tearDownClass(cls):
        cls.imds.stop()

    def write(self, *args, env=None):
        return self.credkit("write-s3cfg", "--imds-endpoint", self.imds.endpoint, *args, env=env)

    def current(self):
        return json.loads(self.credkit("fetch-creds", "--imds-endpoint", self.imds.endpoint).stdout)

    def test_writes_an_s3cfg_with_mode_0600_that_holds_the_role_credentials(self):
        target = self.path("hts.s3cfg")
        creds = self.current()

        result = self.write("-o", target)

        self.assertExit(result, 0)
        text = read(target)
        self.assertEqual(stat.S_IMODE(os.stat(target).st_mode), 0o600)
        self.assertEqual(section_keys(text, "default"), ["access_key", "secret_key", "access_token"])
        self.assertEqual(value_of(text, "access_key"), creds["AccessKeyId"])
        self.assertEqual(value_of(text, "access_token"), creds["SessionToken"])
        self.assertIn(f"# credkit: credentials expire at {creds['Expiration']}", text)

    def test_output_defaults_to_hts_s3_s3cfg(self):
        target = self.path("from-env.s3cfg")
        env = dict(self.env, HTS_S3_S3CFG=target)

        result = self.write(env=env)

        self.assertExit(result, 0)
        self.assertTrue(os.path.exists(target))

    def test_no_output_anywhere_is_a_usage_error(self):
        result = self.write()

        self.assertExit(result, EXIT_USAGE)
        self.assertIn("credkit: error: no file to write", result.stderr)
        self.assertIn("HTS_S3_S3CFG", result.stderr)

    def test_section_follows_aws_profile_when_not_given(self):
        target = self.path("hts.s3cfg")
        env = dict(self.env, AWS_PROFILE="genomics")

        self.assertExit(self.write("-o", target, env=env), 0)

        self.assertIn("[genomics]", read(target))

    def test_second_run_reports_no_change_and_keeps_the_mtime(self):
        target = self.path("hts.s3cfg")
        first = json.loads(self.write("-o", target, "--json").stdout)
        mtime = os.stat(target).st_mtime_ns
        time.sleep(0.05)

        second = self.write("-o", target, "--json")

        self.assertExit(second, 0)
        doc = json.loads(second.stdout)
        self.assertTrue(first["changed"])
        self.assertFalse(doc["changed"])
        self.assertEqual(doc["path"], target)
        self.assertEqual(doc["expires"], self.current()["Expiration"])
        self.assertEqual(os.stat(target).st_mtime_ns, mtime)

    def test_check_exits_1_when_a_change_is_due_and_writes_nothing(self):
        target = self.path("hts.s3cfg")
        with open(target, "w") as f:
            f.write("[default]\naccess_key = AKIAOLD\nsecret_key = old\n")
        before = read(target)

        due = self.write("-o", target, "--check", "--json")

        self.assertExit(due, 1)
        self.assertTrue(json.loads(due.stdout)["changed"])
        self.assertEqual(read(target), before)

    def test_check_exits_0_when_the_file_is_current(self):
        target = self.path("hts.s3cfg")
        self.assertExit(self.write("-o", target), 0)

        result = self.write("-o", target, "--check")

        self.assertExit(result, 0)

    def test_keeps_the_users_settings_comments_and_sections(self):
        target = self.path("s3cfg")
        original = ("# s3cmd settings, written by hand\n"
                    "[default]\n"
                    "access_key = AKIAOLDOLDOLDOLDOLD1\n"
                    "secret_key = old\n"
                    "use_https = True\n"
                    "multipart_chunk_size_mb = 64\n"
                    "; a semicolon comment\n"
                    "\n"
                    "[backup]\n"
                    "access_key = AKIABACKUPBACKUPBACK\n"
                    "secret_key = backup-secret\n")
        with open(target, "w") as f:
            f.write(original)

        self.assertExit(self.write("-o", target), 0)

        text = read(target)
        for line in ("# s3cmd settings, written by hand", "use_https = True",
                     "multipart_chunk_size_mb = 64", "; a semicolon comment", "[backup]",
                     "access_key = AKIABACKUPBACKUPBACK", "secret_key = backup-secret"):
            self.assertIn(line + "\n", text)
        self.assertEqual(value_of(text, "access_key"), self.current()["AccessKeyId"])

    def test_host_settings_are_written_when_given(self):
        target = self.path("hts.s3cfg")

        self.assertExit(self.write("-o", target, "--host-base", "127.0.0.1:9000",
                                   "--host-bucket", "127.0.0.1:9000",
                                   "--bucket-location", "eu-west-1"), 0)

        text = read(target)
        self.assertEqual(value_of(text, "host_base"), "127.0.0.1:9000")
        self.assertEqual(value_of(text, "host_bucket"), "127.0.0.1:9000")
        self.assertEqual(value_of(text, "bucket_location"), "eu-west-1")

    def test_also_credentials_file_holds_exactly_the_four_keys(self):
        target, credentials = self.path("hts.s3cfg"), self.path("credentials")
        with open(credentials, "w") as f:
            f.write("[other]\naws_access_key_id = AKIAKEEP\naws_secret_access_key = keep\n"
                    "\n[hts]\nregion = eu-west-1\n")

        result = self.write("-o", target, "--also-credentials-file", credentials,
                            "--credentials-profile", "hts")

        self.assertExit(result, 0)
        text = read(credentials)
        self.assertEqual(section_keys(text, "hts"), ["aws_access_key_id", "aws_secret_access_key",
                                                     "aws_session_token", "expiry_time"])
        self.assertEqual(section_keys(text, "other"), ["aws_access_key_id",
                                                       "aws_secret_access_key"])
        self.assertRegex(text, r"expiry_time = \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n")

    def test_malformed_existing_file_is_named_with_its_line_and_left_alone(self):
        target = self.path("hts.s3cfg")
        with open(target, "w") as f:
            f.write("[default]\nthis line is not ini\n")

        result = self.write("-o", target)

        self.assertExit(result, EXIT_USAGE)
        self.assertIn(f"{target}:2", result.stderr)
        self.assertEqual(read(target), "[default]\nthis line is not ini\n")

    def test_source_env_writes_the_environment_keys(self):
        target = self.path("hts.s3cfg")
        env = dict(self.env, AWS_ACCESS_KEY_ID="AKIAENVIRONMENT00001",
                   AWS_SECRET_ACCESS_KEY="env-secret")

        self.assertExit(self.write("-o", target, "--source", "env", env=env), 0)

        text = read(target)
        self.assertEqual(value_of(text, "access_key"), "AKIAENVIRONMENT00001")
        self.assertIsNone(value_of(text, "access_token"))
        self.assertIn("# credkit: credentials do not expire", text)

    def test_source_profile_reads_the_shared_credentials_file(self):
        target, credentials = self.path("hts.s3cfg"), self.path("credentials")
        with open(credentials, "w") as f:
            f.write("[hts]\naws_access_key_id = AKIAPROFILEPROFILE01\n"
                    "aws_secret_access_key = profile-secret\n")
        env = dict(self.env, AWS_SHARED_CREDENTIALS_FILE=credentials)

        self.assertExit(self.write("-o", target, "--source", "profile:hts", env=env), 0)

        self.assertEqual(value_of(read(target), "access_key"), "AKIAPROFILEPROFILE01")

    def test_per_file_options_with_config_outputs_are_a_usage_error(self):
        config = self.path("config.yaml")
        with open(config, "w") as f:
            f.write(f"imds:\n  endpoint: {self.imds.endpoint}\noutputs:\n"
                    f"  - path: {self.path('a.s3cfg')}\n")

        result = self.credkit("--config", config, "write-s3cfg", "--mode", "0644")

        self.assertExit(result, EXIT_USAGE)
        self.assertIn("credkit: error: --mode has nothing to apply to", result.stderr)
        self.assertFalse(os.path.exists(self.path("a.s3cfg")))

    def test_watch_timings_without_watch_are_a_usage_error(self):
        result = self.write("-o", self.path("a"), "--max-interval", "5m")

        self.assertExit(result, EXIT_USAGE)
        self.assertIn("--max-interval needs --watch", result.stderr)

    def test_bad_source_is_a_usage_error(self):
        result = self.write("-o", self.path("x"), "--source", "vault")

        self.assertExit(result, EXIT_USAGE)
        self.assertIn("credkit: error: invalid --source 'vault'", result.stderr)

    def test_config_outputs_are_all_kept_in_step(self):
        config = self.path("config.yaml")
        outputs = {name: self.path(name) for name in ("hts.s3cfg", "credentials", "env.sh",
                                                      "process.json")}
        with open(config, "w") as f:
            f.write(f"""imds:
  endpoint: {self.imds.endpoint}
outputs:
  - path: {outputs['hts.s3cfg']}
  - path: {outputs['credentials']}
    format: aws-credentials
    profile: hts
  - path: {outputs['env.sh']}
    format: env
    mode: "0640"
  - path: {outputs['process.json']}
    format: credential-process
""")

        result = self.credkit("--config", config, "write-s3cfg", "--json")

        self.assertExit(result, 0)
        key = self.current()["AccessKeyId"]
        doc = json.loads(result.stdout)
        self.assertEqual([o["path"] for o in doc["outputs"]], list(outputs.values()))
        self.assertEqual(value_of(read(outputs["hts.s3cfg"]), "access_key"), key)
        self.assertEqual(value_of(read(outputs["credentials"]), "aws_access_key_id"), key)
        self.assertIn(f"export AWS_ACCESS_KEY_ID='{key}'", read(outputs["env.sh"]))
        self.assertEqual(stat.S_IMODE(os.stat(outputs["env.sh"]).st_mode), 0o640)
        self.assertEqual(json.loads(read(outputs["process.json"]))["AccessKeyId"], key)

    @unittest.skipUnless(os.geteuid() == 0, "changing owners needs root")
    def test_owner_is_set_when_run_as_root(self):
        target = self.path("hts.s3cfg")

        self.assertExit(self.write("-o", target, "--owner", "nobody:nogroup"), 0)

        info = os.stat(target)
        self.assertEqual((info.st_uid, stat.S_IMODE(info.st_mode)), (65534, 0o600))

    def test_unknown_owner_is_a_usage_error(self):
        result = self.write("-o", self.path("x"), "--owner", "no-such-user-here")

        self.assertExit(result, EXIT_USAGE)
        self.assertIn("no-such-user-here", result.stderr)

    def test_full_disk_leaves_the_old_file_and_no_temporary_file(self):
        target = self.path("hts.s3cfg")
        with open(target, "w") as f:
            f.write("[default]\naccess_key = AKIAOLD\n")
        command = " ".join([BIN, "write-s3cfg", "--imds-endpoint", self.imds.endpoint,
                            "-o", target])

        # A file size limit of 0 blocks makes every write fail as a full disk would.
        result = subprocess.run(["sh", "-c", f"ulimit -f 0; trap '' XFSZ; exec {command}"],
                                env=self.env, capture_output=True, text=True, timeout=60)

        self.assertExit(result, EXIT_WRITE)
        self.assertIn(f"credkit: error: cannot write {target}", result.stderr)
        self.assertEqual(read(target), "[default]\naccess_key = AKIAOLD\n")
        self.assertEqual(os.listdir(self.home), ["hts.s3cfg"])


class WriteS3cfgRefusesBadCredentials(CredkitTestCase):
    def test_expired_credentials_are_not_written_over_the_old_file(self):
        target = self.path("hts.s3cfg")
        with open(target, "w") as f:
            f.write("[default]\naccess_key = AKIAOLD\nsecret_key = old\n")

        with MockImds("--fault", "expired") as imds:
            result = self.credkit("write-s3cfg", "--imds-endpoint", imds.endpoint, "-o", target)

        self.assertExit(result, 3)
        self.assertIn("credkit: error: refusing to write credentials", result.stderr)
        self.assertEqual(read(target), "[default]\naccess_key = AKIAOLD\nsecret_key = old\n")

    def test_imds_failure_leaves_the_old_file(self):
        target = self.path("hts.s3cfg")
        with open(target, "w") as f:
            f.write("[default]\naccess_key = AKIAOLD\n")

        with MockImds("--fault", "status:503") as imds:
            result = self.credkit("write-s3cfg", "--imds-endpoint", imds.endpoint, "-o", target,
                                  "--imds-attempts", "1")

        self.assertExit(result, 4)
        self.assertEqual(read(target), "[default]\naccess_key = AKIAOLD\n")


class WriteS3cfgWatch(CredkitTestCase):
    def start_watch(self, imds, target, *extra):
        process = subprocess.Popen(
            [BIN, "-v", "write-s3cfg", "--watch", "--imds-endpoint", imds.endpoint, "-o", target,
             *extra], env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(self._stop, process)
        return process

    def _stop(self, process):
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=10)

    def wait_for(self, predicate, seconds=10):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if predicate():
                return True
            time.sleep(0.05)
        return False

    def key_in(self, target):
        return value_of(read(target), "access_key") if os.path.exists(target) else None

    def test_watch_follows_rotation_and_stops_cleanly_on_sigterm(self):
        target = self.path("hts.s3cfg")
        with MockImds("--rotate-every", "2s") as imds:
            process = self.start_watch(imds, target, "--max-interval", "1s")
            self.assertTrue(self.wait_for(lambda: self.key_in(target)))
            first = self.key_in(target)

            rotated = self.wait_for(lambda: self.key_in(target) not in (None, first), 8)

            process.send_signal(signal.SIGTERM)
            _, err = process.communicate(timeout=10)
        self.assertTrue(rotated, err)
        self.assertEqual(process.returncode, 0, err)

    def test_sighup_refreshes_at_once(self):
        target = self.path("hts.s3cfg")
        with MockImds() as imds:
            process = self.start_watch(imds, target)
            self.assertTrue(self.wait_for(lambda: os.path.exists(target)))
            os.remove(target)

            process.send_signal(signal.SIGHUP)

            self.assertTrue(self.wait_for(lambda: os.path.exists(target)))
            process.send_signal(signal.SIGTERM)
            _, err = process.communicate(timeout=10)
        self.assertIn("configuration reloaded", err)

    def test_outage_keeps_the_last_good_file_and_the_process_running(self):
        target = self.path("hts.s3cfg")
        with MockImds() as imds:
            process = self.start_watch(imds, target, "--max-interval", "1s")
            self.assertTrue(self.wait_for(lambda: os.path.exists(target)))
            good = read(target)
        # The server is gone: every refresh now fails.
        time.sleep(2.5)

        self.assertIsNone(process.poll())
        self.assertEqual(read(target), good)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=10)
        self.assertEqual(process.returncode, 0)
        self.assertEqual(err.count("connection to"), 1, err)


if __name__ == "__main__":
    unittest.main()
