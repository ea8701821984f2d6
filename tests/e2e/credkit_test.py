"""Shared helpers for credkit's end-to-end tests.

The tests run the real `credkit` binary (CREDKIT_BIN, set by CTest) as a user would, against a
real `credkit mock-imds` server on loopback, and judge it with the real peers where there are
some (botocore, the AWS CLI, moto). Every server a test starts listens on 127.0.0.1 and is
stopped by the test.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

BIN = os.environ.get("CREDKIT_BIN", "credkit")
SOURCE_DIR = os.environ.get(
    "CREDKIT_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(__file__))))

# Variables that would make a test depend on the machine it runs on.
_SCRUBBED = (
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
    "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION",
    "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "AWS_EC2_METADATA_DISABLED",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
    "AWS_METADATA_SERVICE_TIMEOUT", "AWS_METADATA_SERVICE_NUM_ATTEMPTS",
    "AWS_CREDENTIAL_EXPIRATION", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI", "CREDKIT_CONFIG", "HTS_S3_S3CFG",
    "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy",
    "NO_PROXY", "no_proxy",
)


def clean_env(home, **extra):
    """An environment with no AWS settings of the machine's, HOME pointing at `home`."""
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
    env["HOME"] = home
    env["AWS_CONFIG_FILE"] = os.path.join(home, "aws-config-not-there")
    env["AWS_SHARED_CREDENTIALS_FILE"] = os.path.join(home, "aws-credentials-not-there")
    env.update({k: str(v) for k, v in extra.items()})
    return env


def free_port():
    with contextlib.closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def terminate(process, timeout=10):
    """Stops a server with SIGTERM (SIGKILL if it lingers) and returns its exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


class MockImds:
    """`credkit mock-imds` on a free loopback port, for the length of a `with` block."""

    def __init__(self, *args):
        self.args = list(args)
        self.process = None
        self.endpoint = None

    def __enter__(self):
        self.process = subprocess.Popen(
            [BIN, "mock-imds", "--listen", "127.0.0.1:0", *self.args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.process.stdout.readline().strip()
        if not line.startswith("http://"):
            self.process.kill()
            _, err = self.process.communicate(timeout=5)
            raise RuntimeError(f"mock-imds did not start: {line!r} {err!r}")
        self.endpoint = line
        return self

    def stop(self):
        """Stops the server with SIGTERM and returns its exit code."""
        code = terminate(self.process)
        self.process.stdout.close()
        self.process.stderr.close()
        return code

    def __exit__(self, *exc):
        self.stop()


class CredkitTestCase(unittest.TestCase):
    """A temporary HOME per test and a `credkit` runner that uses it."""

    def setUp(self):
        self._home = tempfile.TemporaryDirectory(prefix="credkit-e2e-")
        self.home = self._home.name
        self.env = clean_env(self.home)

    def tearDown(self):
        self._home.cleanup()

    def credkit(self, *args, env=None, input=None, timeout=60):
        """Runs credkit; returns the CompletedProcess with text stdout and stderr."""
        return subprocess.run([BIN, *args], env=env or self.env, input=input, text=True,
                              capture_output=True, timeout=timeout)

    def assertExit(self, result, code):
        self.assertEqual(
            result.returncode, code,
            f"exit {result.returncode}, wanted {code}\nstdout: {result.stdout}\n"
            f"stderr: {result.stderr}")

    def path(self, *parts):
        return os.path.join(self.home, *parts)


def read(path):
    with open(path) as f:
        return f.read()


def python():
    return sys.executable
