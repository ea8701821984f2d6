"""No secret access key, session token or IMDS token reaches stderr at any verbosity, in
success or in failure."""

import json
import re
import unittest
import urllib.request

from credkit_test import CredkitTestCase, MockImds

RUNS = [
    ((), ("--format", "json")),
    ((), ("--format", "env", "--metadata")),
    ((), ("--format", "s3cfg", "-o", "{home}/out.s3cfg")),
    (("--fault", "expired"), ("--format", "ini")),
    (("--fault", "malformed-json"), ()),
    (("--fault", "status:401@/latest/meta-data/iam/*1"), ()),
    (("--fault", "status:503@/latest/meta-data/iam/*"), ("--imds-attempts", "2")),
    (("--fault", "drop-token-put", "--allow-v1"),
     ("--allow-imdsv1", "--imds-timeout", "200ms", "--imds-attempts", "1")),
]


class NoSecretsInMessages(CredkitTestCase):
    def test_stderr_at_highest_verbosity_holds_no_secret(self):
        for server_args, client_args in RUNS:
            with self.subTest(server=server_args, client=client_args):
                with MockImds("--seed", "3", *server_args) as imds:
                    args = [a.format(home=self.home) for a in client_args]
                    result = self.credkit("-vv", "fetch-creds", "--imds-endpoint",
                                          imds.endpoint, *args)
                    # Read afterwards, so that faults limited in count hit credkit first.
                    secrets = self._secrets_of(imds)

                self.assertIn("credkit: debug: imds: ", result.stderr)
                for secret in secrets:
                    self.assertNotIn(secret, result.stderr)
                self.assertIsNone(re.search(r"AKIA\w{16}|ASIA\w{16}", result.stderr),
                                  "a whole key id is shown")

    def test_mock_imds_log_at_highest_verbosity_holds_no_secret(self):
        imds = MockImds("-vv", "--seed", "5").__enter__()
        try:
            fetched = self.credkit("fetch-creds", "--imds-endpoint", imds.endpoint)
            secrets = self._secrets_of(imds)
        finally:
            imds.process.terminate()
            _, log = imds.process.communicate(timeout=10)

        self.assertExit(fetched, 0)
        self.assertIn("GET /latest/meta-data/iam/security-credentials/", log)
        for secret in secrets:
            self.assertNotIn(secret, log)

    def test_diagnose_prints_no_secret_from_any_source(self):
        env_secret, file_secret, s3cfg_secret, process_secret = (
            "EnvSecretValue0123456789", "FileSecretValue0123456789",
            "S3cfgSecretValue012345678", "ProcessSecretValue0123456")
        tokens = ["EnvTokenValue0123456789", "FileTokenValue0123456789",
                  "S3cfgTokenValue012345678", "ProcessTokenValue0123456"]
        credentials = self.path("credentials")
        with open(credentials, "w") as f:
            f.write(f"[default]\naws_access_key_id = ASIAFILEKEY000000001\n"
                    f"aws_secret_access_key = {file_secret}\naws_session_token = {tokens[1]}\n")
        s3cfg = self.path("hts.s3cfg")
        with open(s3cfg, "w") as f:
            f.write(f"[default]\naccess_key = ASIAS3CFGKEY00000001\nsecret_key = {s3cfg_secret}\n"
                    f"access_token = {tokens[2]}\n")
        config = self.path("config")
        document = ('{"Version": 1, "AccessKeyId": "ASIAPROCESSKEY00P001", '
                    f'"SecretAccessKey": "{process_secret}", "SessionToken": "{tokens[3]}"}}')
        with open(config, "w") as f:
            f.write(f"[profile proc]\ncredential_process = echo '{document}'\n")
        with MockImds("--seed", "8") as imds:
            env = dict(self.env, AWS_SHARED_CREDENTIALS_FILE=credentials, AWS_CONFIG_FILE=config,
                       HTS_S3_S3CFG=s3cfg, AWS_ACCESS_KEY_ID="ASIAENVKEY0000000001",
                       AWS_SECRET_ACCESS_KEY=env_secret, AWS_SESSION_TOKEN=tokens[0],
                       AWS_EC2_METADATA_SERVICE_ENDPOINT=imds.endpoint)
            runs = [self.credkit("-vv", "diagnose", *args, env=env) for args in (
                (), ("--format", "json"), ("--profile", "proc", "--format", "json"),
                ("--url", f"s3://ASIAURLKEY0000000001:UrlSecret0123456789@bucket/key",))]
            imds_secrets = self._secrets_of(imds)

        # The process ran and its key reached the report, by its last 4 characters only.
        boto3 = json.loads(runs[2].stdout)["tools"][0]
        self.assertEqual(boto3["source"]["key_id"], "****P001")
        for result in runs:
            self.assertIn(result.returncode, (0, 1, 2), result.stderr)
            output = result.stdout + result.stderr
            for secret in [env_secret, file_secret, s3cfg_secret, process_secret, *tokens,
                           "UrlSecret0123456789", *imds_secrets]:
                self.assertNotIn(secret, output)
            self.assertIsNone(re.search(r"A[KS]IA\w{16}", output), "a whole key id is shown")

    def _secrets_of(self, imds):
        """The secrets the server hands out now, read straight from it (even when a fault
        truncates the document, the secret's start is there to look for)."""
        put = urllib.request.Request(f"{imds.endpoint}/latest/api/token", method="PUT",
                                     headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"})
        try:
            token = urllib.request.urlopen(put, timeout=2).read().decode()
        except OSError:
            token = ""
        headers = {"X-aws-ec2-metadata-token": token} if token else {}
        base = f"{imds.endpoint}/latest/meta-data/iam/security-credentials/"
        try:
            role = urllib.request.urlopen(urllib.request.Request(base, headers=headers),
                                          timeout=2).read().decode().split()[0]
            body = urllib.request.urlopen(urllib.request.Request(base + role, headers=headers),
                                          timeout=2).read().decode()
        except (OSError, IndexError):
            return []
        found = re.findall(r'"(?:SecretAccessKey|Token)"\s*:\s*"([^"]{12,})', body)
        self.assertTrue(found, "the test could not read the secrets it looks for")
        return [value[:12] for value in found]

if __name__ == "__main__":
    unittest.main()
