"""contrib/systemd/: the unit, its config and the service protocol they rely on.

The unit must pass `systemd-analyze verify` once its ExecStart points at the built binary; its
ExecStart must use options `credkit write-s3cfg --help` knows; the config it reads must be one
credkit accepts, with its outputs; and `write-s3cfg --watch` must speak the notify protocol the
unit's Type=notify, WatchdogSec= and ExecReload= expect.
"""

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import time
import unittest

from credkit_test import BIN, SOURCE_DIR, CredkitTestCase, MockImds
from test_docs_agree import help_options, help_value_options

SYSTEMD_DIR = os.path.join(SOURCE_DIR, "contrib", "systemd")
UNIT = os.path.join(SYSTEMD_DIR, "credkit-s3cfg.service")
CONFIG = os.path.join(SYSTEMD_DIR, "config.yaml")
DROP_IN = os.path.join(SYSTEMD_DIR, "consumer-hts-s3cfg.conf")
EXIT_USAGE = 2


def binary():
    """The absolute path of the binary under test."""
    found = shutil.which(BIN)
    if not found:
        raise AssertionError(f"cannot find the credkit binary {BIN!r}")
    return os.path.abspath(found)


def unit_settings(path=UNIT):
    """{(section, key): [values]} of a unit file, in order."""
    settings, section = {}, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("["):
                section = line.strip("[]")
                continue
            key, _, value = line.partition("=")
            settings.setdefault((section, key.strip()), []).append(value.strip())
    return settings


def exec_start():
    values = unit_settings()[("Service", "ExecStart")]
    if len(values) != 1:
        raise AssertionError(f"expected one ExecStart, found {values}")
    return shlex.split(values[0])


class UnitVerifies(CredkitTestCase):
    def setUp(self):
        super().setUp()
        if not shutil.which("systemd-analyze"):
            self.skipTest("systemd-analyze is not installed")

    def verify(self, text):
        """Runs systemd-analyze verify on `text` as credkit-s3cfg.service; (code, complaints)."""
        path = self.path("credkit-s3cfg.service")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        result = subprocess.run(["systemd-analyze", "verify", "--man=no", path],
                                capture_output=True, text=True, timeout=60)
        # Only lines about this unit: the host's own units may draw warnings of their own.
        complaints = [line for line in result.stderr.splitlines()
                      if "credkit-s3cfg.service" in line]
        return result.returncode, complaints

    def unit_text(self):
        with open(UNIT, encoding="utf-8") as f:
            text = f.read()
        command = exec_start()[0]
        self.assertIn(f"ExecStart={command} ", text)
        return text.replace(f"ExecStart={command} ", f"ExecStart={binary()} ")

    def test_unit_passes_systemd_analyze_verify_with_the_built_binary(self):
        code, complaints = self.verify(self.unit_text())

        self.assertEqual(code, 0, complaints)
        self.assertEqual(complaints, [])

    def test_verify_finds_a_misspelt_setting_so_the_check_above_means_something(self):
        text = self.unit_text().replace("ProtectHome=", "ProtectHomme=")

        _, complaints = self.verify(text)

        self.assertTrue(any("ProtectHomme" in line for line in complaints), complaints)


class UnitRunsWriteS3cfg(unittest.TestCase):
    def test_exec_start_runs_write_s3cfg_watch_with_options_it_knows(self):
        argv = exec_start()
        self.assertEqual(os.path.basename(argv[0]), "credkit")
        self.assertIn("write-s3cfg", argv)
        known = help_options("write-s3cfg") | help_options()
        takes_value = help_value_options("write-s3cfg") | help_value_options()

        options, i = [], 1
        while i < len(argv):
            word = argv[i]
            if word.startswith("-"):
                name = word.split("=", 1)[0]
                options.append(name)
                if name in takes_value and "=" not in word:
                    i += 1
            else:
                self.assertEqual(word, "write-s3cfg", f"unexpected argument {word!r} in {argv}")
            i += 1

        self.assertLessEqual(set(options), known, f"ExecStart uses unknown options {options}")
        self.assertIn("--watch", options)
        self.assertIn("--config", options)

    def test_exec_start_reads_the_config_the_unit_tells_to_install(self):
        argv = exec_start()
        config = argv[argv.index("--config") + 1]

        with open(UNIT, encoding="utf-8") as f:
            comments = " ".join(line.lstrip("# ").strip() for line in f if line.startswith("#"))
        self.assertIn(f"config.yaml to {config}", comments)

    def test_service_type_and_reload_match_what_watch_mode_does(self):
        settings = unit_settings()

        # --watch reports readiness with sd_notify and reloads on SIGHUP.
        self.assertEqual(settings[("Service", "Type")], ["notify"])
        self.assertRegex(settings[("Service", "ExecReload")][0], r"kill -HUP \$MAINPID$")
        self.assertEqual(settings[("Unit", "Documentation")], ["man:credkit-write-s3cfg(1)"])
        self.assertTrue(os.path.isfile(os.path.join(SOURCE_DIR, "man", "credkit-write-s3cfg.1")))

    def test_consumer_drop_in_points_htslib_at_the_file_the_config_writes(self):
        with open(CONFIG, encoding="utf-8") as f:
            written = re.findall(r"^\s*- path: (\S+)", f.read(), re.M)
        drop_in = unit_settings(DROP_IN)

        environment = dict(v.split("=", 1) for v in drop_in[("Service", "Environment")])
        self.assertIn(environment["HTS_S3_S3CFG"], written)
        self.assertEqual(drop_in[("Service", "SupplementaryGroups")],
                         unit_settings()[("Service", "Group")])
        runtime = "/run/" + unit_settings()[("Service", "RuntimeDirectory")][0] + "/"
        self.assertTrue(environment["HTS_S3_S3CFG"].startswith(runtime))


class ShippedConfigIsAccepted(CredkitTestCase):
    def check(self, config, imds):
        return self.credkit("--config", config, "write-s3cfg", "--check", "--json",
                            "--imds-endpoint", imds.endpoint)

    def test_config_parses_and_its_outputs_are_the_files_checked(self):
        with open(CONFIG, encoding="utf-8") as f:
            expected = re.findall(r"^\s*- path: (\S+)", f.read(), re.M)
        self.assertTrue(expected, "the shipped config lists no outputs")

        with MockImds() as imds:
            result = self.check(CONFIG, imds)

        # 2 would be a usage or config error. With credentials at hand, --check ends in 0 or 1
        # and names the files it compared; on a machine where /run/credkit exists but cannot
        # be read the error names the file instead. Either way the outputs came from the file.
        self.assertNotEqual(result.returncode, EXIT_USAGE, result.stderr)
        if result.returncode in (0, 1):
            paths = [o["path"] for o in json.loads(result.stdout)["outputs"]]
            self.assertEqual(paths, expected)
        else:
            self.assertIn(expected[0], result.stderr)

    def test_a_broken_copy_is_refused_so_the_check_above_means_something(self):
        with open(CONFIG, encoding="utf-8") as f:
            text = f.read()
        broken = self.path("config.yaml")
        with open(broken, "w", encoding="utf-8") as f:
            f.write(text.replace("refresh_margin:", "refresh_margn:"))

        with MockImds() as imds:
            result = self.check(broken, imds)

        self.assertExit(result, EXIT_USAGE)
        self.assertIn("refresh_margn", result.stderr)


class WatchSpeaksTheNotifyProtocol(CredkitTestCase):
    """What Type=notify, WatchdogSec= and ExecReload= in the unit rely on."""

    def setUp(self):
        super().setUp()
        ldd = shutil.which("ldd")
        if ldd:
            linked = subprocess.run([ldd, binary()], capture_output=True, text=True).stdout
            if "libsystemd" not in linked:
                self.skipTest("credkit was built without libsystemd: it cannot notify systemd")
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.addCleanup(self.socket.close)
        self.socket_path = self.path("notify")
        self.socket.bind(self.socket_path)

    def messages_until(self, wanted, seconds=10):
        """Notification fields received until one equals `wanted`."""
        received, deadline = [], time.time() + seconds
        while time.time() < deadline:
            self.socket.settimeout(max(deadline - time.time(), 0.01))
            try:
                datagram = self.socket.recv(4096).decode()
            except socket.timeout:
                break
            received.extend(datagram.splitlines())
            if wanted in received:
                return received
        self.fail(f"no {wanted} within {seconds}s; got {received}")

    def test_ready_after_the_first_write_then_status_watchdog_reload_and_stop(self):
        target = self.path("hts.s3cfg")
        env = dict(self.env, NOTIFY_SOCKET=self.socket_path, WATCHDOG_USEC="1000000")
        with MockImds() as imds:
            process = subprocess.Popen(
                [BIN, "write-s3cfg", "--watch", "--imds-endpoint", imds.endpoint, "-o", target],
                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            try:
                first = self.messages_until("READY=1")
                self.assertTrue(os.path.exists(target), "READY=1 came before the file")
                later = self.messages_until("WATCHDOG=1", seconds=5)
                self.assertTrue(any(m.startswith("STATUS=credentials expire ")
                                    for m in first + later), first + later)

                process.send_signal(signal.SIGHUP)
                reload = self.messages_until("READY=1")
                self.assertIn("RELOADING=1", reload)

                process.send_signal(signal.SIGTERM)
                self.messages_until("STOPPING=1")
                _, err = process.communicate(timeout=10)
            finally:
                if process.poll() is None:
                    process.kill()
                    process.communicate()
        self.assertEqual(process.returncode, 0, err)


if __name__ == "__main__":
    unittest.main()
