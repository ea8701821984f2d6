"""`credkit diagnose --tool s3cmd` judged by s3cmd itself.

Each case sets up a HOME, files and environment, runs the real s3cmd (without -c, so that its
own config lookup is part of what is judged) against a loopback S3 that records the key id of
every request (recording_s3.py), then asks `credkit diagnose --format json --tool s3cmd
--no-probe` about the same machine. The key id credkit predicts must be the one s3cmd sent.
Every source in a case holds a key id of its own, so a wrong pick cannot pass.

s3cmd runs with connections to anything but loopback refused (s3_fixture's loopback guard), so
it never reaches a real metadata service: it behaves as off EC2, and its own role refresh (set
off by a session token in its config file) fails as it would there.
"""

import concurrent.futures
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from credkit_test import CredkitTestCase, clean_env
from recording_s3 import RecordingS3
from s3_fixture import loopback_only_pythonpath

BUCKET = "s3://bkt"


def key(tag):
    """A key id whose last four characters are `tag`, the part diagnose shows."""
    return "AKIAE2ETEST0000" + "0" * (5 - len(tag)) + tag


# Each case: the files under HOME ({home} is replaced), the environment beyond a clean one,
# the method diagnose must name and the key s3cmd must send.
CASES = [
    dict(name="s3cmd reads ~/.s3cfg by default",
         files={".s3cfg": f"[default]\naccess_key = {key('HOME')}\nsecret_key = s\n"},
         env={}, method="s3cfg", sent=key("HOME")),
    dict(name="S3CMD_CONFIG names the config file instead of ~/.s3cfg",
         files={".s3cfg": f"access_key = {key('HOME')}\nsecret_key = s\n",
                "elsewhere.cfg": f"access_key = {key('NAMD')}\nsecret_key = s\n"},
         env={"S3CMD_CONFIG": "{home}/elsewhere.cfg"}, method="s3cfg", sent=key("NAMD")),
    dict(name="a later section overrides an earlier one",
         files={".s3cfg": f"[default]\naccess_key = {key('DFLT')}\nsecret_key = s\n"
                          f"[other]\naccess_key = {key('LATE')}\n"},
         env={}, method="s3cfg", sent=key("LATE")),
    dict(name="comment lines and colon lines are not read",
         files={".s3cfg": f"access_key = {key('REAL')}\nsecret_key = s\n"
                          f"   # access_key = {key('CMNT')}\n"
                          f"access_key: {key('COLN')}\n"},
         env={}, method="s3cfg", sent=key("REAL")),
    dict(name="a quoted value loses its quotes",
         files={".s3cfg": f"access_key = \"{key('QUOT')}\"\nsecret_key = s\n"},
         env={}, method="s3cfg", sent=key("QUOT")),
    dict(name="a $NAME value comes from the environment",
         files={".s3cfg": "access_key = $MY_S3_KEY\nsecret_key = $MY_S3_SECRET\n"},
         env={"MY_S3_KEY": key("DVAR"), "MY_S3_SECRET": "s",
              "AWS_ACCESS_KEY_ID": key("ENVK"), "AWS_SECRET_ACCESS_KEY": "s"},
         method="s3cfg", sent=key("DVAR")),
    dict(name="a $NAME value that is not set falls back to the environment",
         files={".s3cfg": "access_key = $NOT_SET_ANYWHERE\nsecret_key = s\n"},
         env={"AWS_ACCESS_KEY_ID": key("ENVK"), "AWS_SECRET_ACCESS_KEY": "s"},
         method="env", sent=key("ENVK")),
    dict(name="a config without keys falls back to the environment",
         files={".s3cfg": "[default]\nbucket_location = US\n"},
         env={"AWS_ACCESS_KEY_ID": key("ENVK"), "AWS_SECRET_ACCESS_KEY": "s"},
         method="env", sent=key("ENVK")),
    dict(name="AWS_ACCESS_KEY wins over AWS_ACCESS_KEY_ID",
         files={".s3cfg": "[default]\nbucket_location = US\n"},
         env={"AWS_ACCESS_KEY": key("SHRT"), "AWS_SECRET_KEY": "s",
              "AWS_ACCESS_KEY_ID": key("LONG"), "AWS_SECRET_ACCESS_KEY": "s"},
         method="env", sent=key("SHRT")),
    dict(name="a config that exists keeps the AWS credentials file unread",
         files={".s3cfg": "[default]\nbucket_location = US\n",
                ".aws/credentials": f"[default]\naws_access_key_id = {key('CRED')}\n"
                                    "aws_secret_access_key = s\n"},
         env={"AWS_PROFILE": "default",
              "AWS_ACCESS_KEY_ID": key("ENVK"), "AWS_SECRET_ACCESS_KEY": "s"},
         method="env", sent=key("ENVK")),
    dict(name="no config and no AWS_PROFILE keeps the AWS credentials file unread",
         files={".aws/credentials": f"[default]\naws_access_key_id = {key('CRED')}\n"
                                    "aws_secret_access_key = s\n"},
         env={"AWS_ACCESS_KEY_ID": key("ENVK"), "AWS_SECRET_ACCESS_KEY": "s"},
         method="env", sent=key("ENVK")),
    dict(name="no config and AWS_PROFILE reads that profile ahead of the environment",
         files={".aws/credentials": f"[default]\naws_access_key_id = {key('CDEF')}\n"
                                    "aws_secret_access_key = s\n"
                                    f"[work]\naws_access_key_id = {key('WORK')}\n"
                                    "aws_secret_access_key = s\n"},
         env={"AWS_PROFILE": "work",
              "AWS_ACCESS_KEY_ID": key("ENVK"), "AWS_SECRET_ACCESS_KEY": "s"},
         method="shared-credentials-file", sent=key("WORK")),
    dict(name="AWS_CREDENTIAL_FILE is read, AWS_SHARED_CREDENTIALS_FILE is not",
         files={"legacy-credentials": f"[default]\naws_access_key_id = {key('LGCY')}\n"
                                      "aws_secret_access_key = s\n",
                "shared-credentials": f"[default]\naws_access_key_id = {key('SHRD')}\n"
                                      "aws_secret_access_key = s\n"},
         env={"AWS_CREDENTIAL_FILE": "{home}/legacy-credentials",
              "AWS_SHARED_CREDENTIALS_FILE": "{home}/shared-credentials"},
         method="shared-credentials-file", sent=key("LGCY")),
    dict(name="a credentials file without a header counts as [default]",
         files={".aws/credentials": f"AWSAccessKeyId = {key('OLDF')}\nAWSSecretKey = s\n"},
         env={"AWS_PROFILE": "default"},
         method="shared-credentials-file", sent=key("OLDF")),
    dict(name="a session-token config keeps its keys where no role answers",
         files={".s3cfg": f"access_key = {key('TOKN')}\nsecret_key = s\naccess_token = t\n"},
         env={"AWS_ACCESS_KEY_ID": key("ENVK"), "AWS_SECRET_ACCESS_KEY": "s"},
         method="s3cfg", sent=key("TOKN"), token=True),
    dict(name="a config's session token rides along with environment keys",
         files={".s3cfg": "access_token = t\n"},
         env={"AWS_ACCESS_KEY_ID": key("ENVK"), "AWS_SECRET_ACCESS_KEY": "s"},
         method="env", sent=key("ENVK"), token=True),
]

# Machines on which s3cmd stops before its first request: what it says, and the status
# diagnose must give.
STOPPING_CASES = [
    dict(name="no keys anywhere, off EC2",
         files={".s3cfg": "[default]\nbucket_location = US\n"}, env={},
         says="Configuration file not available", status="no-credentials"),
    dict(name="an environment key without a secret",
         files={}, env={"AWS_ACCESS_KEY_ID": key("HALF")},
         says="AWS_SECRET_KEY variable is missing", status="fails"),
    dict(name="$NAME values that refer to each other",
         files={".s3cfg": "access_key = $LOOP_A\nsecret_key = s\n"},
         env={"LOOP_A": "$LOOP_B", "LOOP_B": "$LOOP_A"},
         says="RecursionError", status="fails"),
    dict(name="a credentials file line that is not an option",
         files={".aws/credentials": f"[default]\naws_access_key_id = {key('GARB')}\ngarbage\n"},
         env={"AWS_PROFILE": "default"},
         says="Error reading aws_credential_file", status="fails"),
    dict(name="a credentials file with a section twice",
         files={".aws/credentials": f"[default]\naws_access_key_id = {key('DUPL')}\n[default]\n"},
         env={"AWS_PROFILE": "default"},
         says="DuplicateSectionError", status="fails"),
    dict(name="a bare % in the credentials file",
         files={".aws/credentials": f"[default]\naws_access_key_id = {key('PCNT')}\n"
                                    "aws_secret_access_key = ab%cd\n"},
         env={"AWS_PROFILE": "default"},
         says="InterpolationSyntaxError", status="fails"),
]


@unittest.skipIf(shutil.which("s3cmd") is None, "s3cmd is not installed")
class DiagnoseS3cmdTest(CredkitTestCase):
    def setUp(self):
        super().setUp()
        self.guard = loopback_only_pythonpath(self.home)

    def machine(self, case):
        """A fresh HOME holding the case's files, and the environment both programs get."""
        home = tempfile.mkdtemp(prefix="home-", dir=self.home)
        for name, text in case["files"].items():
            path = os.path.join(home, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
            os.chmod(path, 0o600)
        return clean_env(home, **{k: v.replace("{home}", home) for k, v in case["env"].items()})

    def s3cmd_sends(self, env):
        """Runs `s3cmd ls` with the loopback server named on its command line (so a config
        need not exist) and returns the run and the key ids and token flags s3cmd sent."""
        with RecordingS3() as s3:
            run = subprocess.run(
                ["s3cmd", "--no-ssl", f"--host={s3.host}", f"--host-bucket={s3.host}", "ls",
                 BUCKET],
                env=dict(env, PYTHONPATH=self.guard), capture_output=True, text=True,
                timeout=30)
            return run, {r.key_id for r in s3.requests}, {r.session_token for r in s3.requests}

    def diagnose(self, env):
        result = self.credkit("diagnose", "--format", "json", "--tool", "s3cmd", "--no-probe",
                              env=env)
        self.assertIn(result.returncode, (0, 1, 2), result.stderr)
        report = json.loads(result.stdout)
        (verdict,) = [tool for tool in report["tools"] if tool["tool"] == "s3cmd"]
        return verdict

    def test_guard_keeps_s3cmd_on_loopback(self):
        run = subprocess.run(
            ["/usr/bin/python3", "-c", "import socket; print(socket.socket.connect.__name__)"],
            env=dict(self.env, PYTHONPATH=self.guard), capture_output=True, text=True,
            timeout=30)

        self.assertEqual(run.stdout.strip(), "_loopback_only", run.stderr)

    def observe(self, case):
        """What s3cmd sent and what diagnose predicted on the case's machine."""
        env = self.machine(case)
        run, sent, tokens = self.s3cmd_sends(env)
        return run, sent, tokens, self.diagnose(env)

    def test_diagnose_names_the_key_s3cmd_sends(self):
        # Each run is mostly Python starting up: running cases side by side keeps the file fast.
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            observed = list(pool.map(self.observe, CASES))

        for case, (run, sent, tokens, verdict) in zip(CASES, observed):
            with self.subTest(case["name"]):
                self.assertEqual(run.returncode, 0, run.stderr)
                self.assertEqual(sent, {case["sent"]}, "s3cmd itself")
                self.assertEqual(tokens, {case.get("token", False)}, "s3cmd's session token")
                source = verdict["source"]
                self.assertIsNotNone(source, verdict)
                self.assertEqual(source["key_id"][-4:], case["sent"][-4:], verdict)
                self.assertEqual(source["method"], case["method"], verdict)
                self.assertEqual(source["session_token"], case.get("token", False), verdict)

    def test_session_token_config_says_s3cmd_asks_the_instance_role(self):
        (case,) = [c for c in CASES if c["name"].startswith("a session-token config")]
        env = self.machine(case)

        run, _, _ = self.s3cmd_sends(env)
        source = self.diagnose(env)["source"]

        self.assertIn("Could not refresh role", run.stderr)
        self.assertIn("169.254.169.254", source["refresh_note"])
        self.assertIn("Could not refresh role", source["refresh_note"])
        self.assertFalse(source["refreshes"])

    def test_diagnose_says_when_s3cmd_sends_nothing(self):
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            observed = list(pool.map(self.observe, STOPPING_CASES))

        for case, (run, sent, _, verdict) in zip(STOPPING_CASES, observed):
            with self.subTest(case["name"]):
                self.assertNotEqual(run.returncode, 0, run.stderr)
                self.assertIn(case["says"], run.stderr, "s3cmd itself")
                self.assertEqual(sent, set(), "s3cmd itself")
                self.assertEqual(verdict["status"], case["status"], verdict)
                self.assertIsNone(verdict["source"], verdict)
                if case["status"] == "no-credentials":
                    (role,) = [s for s in verdict["skipped"] if s["method"] == "iam-role"]
                    self.assertIn("169.254.169.254", role["reason"])


if __name__ == "__main__":
    unittest.main()
