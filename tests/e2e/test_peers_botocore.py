"""The real peers read what credkit serves and prints: botocore and the AWS CLI resolve
`iam-role` credentials from mock-imds and `custom-process` credentials through
`credkit fetch-creds --format credential-process`; and credkit reads moto's metadata server."""

import json
import shutil
import subprocess
import unittest

from credkit_test import BIN, CredkitTestCase, MockImds, python
from s3_fixture import MotoServer

RESOLVE = r"""
import json, botocore.session
creds = botocore.session.get_session().get_credentials()
print(json.dumps({
    "method": creds.method,
    "access_key": creds.get_frozen_credentials().access_key,
    "expiry": creds._expiry_time.strftime("%Y-%m-%dT%H:%M:%SZ")
              if getattr(creds, "_expiry_time", None) else None,
}))
"""


class BotocoreReadsCredkit(CredkitTestCase):
    def botocore_resolves(self, env):
        result = subprocess.run([python(), "-c", RESOLVE], env=env, capture_output=True,
                                text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        return json.loads(result.stdout)

    def credential_process_setup(self, imds):
        """An AWS config whose default profile runs credkit as its credential_process; returns
        the environment that uses it and what credkit itself fetches."""
        config = self.path("aws-config")
        with open(config, "w") as f:
            f.write("[default]\n"
                    f"credential_process = {BIN} fetch-creds --format credential-process "
                    f"--imds-endpoint {imds.endpoint}\n")
        env = dict(self.env, AWS_CONFIG_FILE=config)
        ours = json.loads(self.credkit("fetch-creds", "--imds-endpoint", imds.endpoint).stdout)
        return env, ours

    def test_botocore_gets_iam_role_credentials_from_mock_imds(self):
        with MockImds() as imds:
            env = dict(self.env, AWS_EC2_METADATA_SERVICE_ENDPOINT=imds.endpoint)
            ours = json.loads(self.credkit("fetch-creds", env=env).stdout)

            theirs = self.botocore_resolves(env)

        self.assertEqual(theirs["method"], "iam-role")
        self.assertEqual(theirs["access_key"], ours["AccessKeyId"])
        self.assertEqual(theirs["expiry"], ours["Expiration"])

    def test_botocore_runs_credkit_as_its_credential_process(self):
        with MockImds() as imds:
            env, ours = self.credential_process_setup(imds)

            theirs = self.botocore_resolves(env)

        self.assertEqual(theirs["method"], "custom-process")
        self.assertEqual(theirs["access_key"], ours["AccessKeyId"])
        self.assertEqual(theirs["expiry"], ours["Expiration"])

    def test_aws_cli_lists_the_credential_process_keys_as_custom_process(self):
        aws = shutil.which("aws")
        if aws is None:
            self.skipTest("the AWS CLI is not installed")
        with MockImds() as imds:
            env, ours = self.credential_process_setup(imds)

            listed = subprocess.run([aws, "configure", "list"], env=env, capture_output=True,
                                    text=True, timeout=60)

        self.assertEqual(listed.returncode, 0, listed.stderr)
        access_line = next(l for l in listed.stdout.splitlines() if "access_key" in l)
        self.assertIn("custom-process", access_line)
        self.assertIn(ours["AccessKeyId"][-4:], access_line)


class CredkitReadsMoto(CredkitTestCase):
    def setUp(self):
        super().setUp()
        if shutil.which("moto_server") is None:
            self.skipTest("moto_server is not installed")
        self.moto = MotoServer(self.home).__enter__()
        self.addCleanup(self.moto.__exit__)

    def test_fetch_creds_reads_moto_as_an_imds(self):
        result = self.credkit("fetch-creds", "--imds-endpoint", self.moto.endpoint)

        self.assertExit(result, 0)
        doc = json.loads(result.stdout)
        self.assertEqual(doc["AccessKeyId"], "test-key")
        self.assertEqual(doc["Role"], "default-role")


if __name__ == "__main__":
    unittest.main()
