"""credkit presign as a batch job meets it: inputs, formats, expiry, errors and exit codes."""

import json
import unittest

from credkit_test import CredkitTestCase, MockImds

KEY_ID, SECRET = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
EXIT_USAGE, EXIT_PARTIAL = 2, 6
DOC_URL = ("https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
           "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
           "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
           "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")


class PresignCommandLine(CredkitTestCase):
    def setUp(self):
        super().setUp()
        self.env.update(AWS_ACCESS_KEY_ID=KEY_ID, AWS_SECRET_ACCESS_KEY=SECRET)

    def presign(self, *args, input=None, env=None):
        return self.credkit("presign", "--source", "env", *args, input=input, env=env)

    def test_reproduces_the_aws_documentation_example(self):
        result = self.presign("--botocore-compat", "--at", "2013-05-24T00:00:00Z",
                              "--expires", "1d", "s3://examplebucket/test.txt")

        self.assertExit(result, 0)
        self.assertEqual(result.stdout, DOC_URL + "\n")

    def test_batch_from_stdin_keeps_input_order(self):
        keys = [f"s3://my-bucket/k{i:03d}" for i in range(300)]

        result = self.presign("-i", "-", input="\n".join(keys) + "\n")

        self.assertExit(result, 0)
        urls = result.stdout.splitlines()
        self.assertEqual(len(urls), 300)
        for key, url in zip(keys, urls):
            self.assertIn(f".amazonaws.com/{key.rsplit('/', 1)[1]}?", url)

    def test_bare_keys_take_the_bucket_option(self):
        result = self.presign("-i", "-", "--bucket", "my-bucket", "--region", "eu-west-1",
                              input="a/b.txt\n")

        self.assertExit(result, 0)
        self.assertTrue(result.stdout.startswith(
            "https://my-bucket.s3.eu-west-1.amazonaws.com/a/b.txt?"))

    def test_a_bad_line_is_reported_with_its_number_and_the_rest_go_on(self):
        result = self.presign("-i", "-", input="s3://b/one\nnot-a-url\ns3://b/three\n")

        self.assertExit(result, EXIT_PARTIAL)
        self.assertEqual(len(result.stdout.splitlines()), 2)
        self.assertIn("credkit: error: line 2: not an s3:// URL", result.stderr)

    def test_expiry_beyond_seven_days_is_a_usage_error(self):
        for expires in ("8d", "0s", "604801", "1.5h"):
            with self.subTest(expires=expires):
                result = self.presign("--expires", expires, "s3://b/k")

                self.assertExit(result, EXIT_USAGE)
                self.assertEqual(result.stdout, "")

    def test_seven_days_is_accepted(self):
        result = self.presign("--expires", "7d", "s3://b/k")

        self.assertExit(result, 0)
        self.assertIn("X-Amz-Expires=604800&", result.stdout)

    def test_tsv_and_json_carry_the_input_and_expiry(self):
        tsv = self.presign("--format", "tsv", "--at", "2026-12-03T15:00:00Z", "s3://b/k")
        js = self.presign("--format", "json", "--at", "2026-12-03T15:00:00Z", "s3://b/k")

        self.assertExit(tsv, 0)
        fields = tsv.stdout.rstrip("\n").split("\t")
        self.assertEqual((fields[0], fields[2]), ("s3://b/k", "2026-12-03T16:00:00Z"))
        doc = json.loads(js.stdout)
        self.assertEqual(doc["input"], "s3://b/k")
        self.assertEqual(doc["expires"], "2026-12-03T16:00:00Z")
        self.assertEqual(doc["effective_expires"], "2026-12-03T16:00:00Z")
        self.assertEqual(doc["url"], fields[1])

    def test_credentials_ending_first_give_a_warning_with_the_real_end(self):
        env = dict(self.env, AWS_SESSION_TOKEN="token",
                   AWS_CREDENTIAL_EXPIRATION="2026-12-03T15:30:00Z")

        result = self.presign("--format", "json", "--at", "2026-12-03T15:00:00Z", "s3://b/k",
                              env=env)

        self.assertExit(result, 0)
        self.assertIn("credkit: warning: URLs stop working at 2026-12-03T15:30:00Z",
                      result.stderr)
        self.assertEqual(json.loads(result.stdout)["effective_expires"], "2026-12-03T15:30:00Z")

    def test_strict_expiry_turns_the_warning_into_an_error(self):
        env = dict(self.env, AWS_SESSION_TOKEN="token",
                   AWS_CREDENTIAL_EXPIRATION="2026-12-03T15:30:00Z")

        result = self.presign("--strict-expiry", "--at", "2026-12-03T15:00:00Z", "s3://b/k",
                              env=env)

        self.assertExit(result, 1)
        self.assertEqual(result.stdout, "")
        self.assertIn("credkit: error: refusing to presign", result.stderr)

    def test_content_type_without_put_is_a_usage_error(self):
        result = self.presign("--content-type", "text/plain", "s3://b/k")

        self.assertExit(result, EXIT_USAGE)
        self.assertIn("--content-type needs --method PUT", result.stderr)

    def test_nothing_to_presign_is_a_usage_error_with_an_example(self):
        result = self.presign()

        self.assertExit(result, EXIT_USAGE)
        self.assertIn("hint: for example: credkit presign s3://", result.stderr)

    def test_region_comes_from_the_environment_then_the_profile(self):
        config = self.path("aws-config")
        with open(config, "w") as f:
            f.write("[profile genomics]\nregion = ap-southeast-2\n")
        env = dict(self.env, AWS_CONFIG_FILE=config, AWS_PROFILE="genomics")

        from_profile = self.presign("s3://my-bucket/k", env=env)
        from_env = self.presign("s3://my-bucket/k", env=dict(env, AWS_REGION="eu-north-1"))

        self.assertIn(".s3.ap-southeast-2.amazonaws.com/", from_profile.stdout)
        self.assertIn(".s3.eu-north-1.amazonaws.com/", from_env.stdout)

    def test_config_file_gives_defaults_that_options_override(self):
        config = self.path("config.yaml")
        with open(config, "w") as f:
            f.write("presign:\n  region: eu-west-1\n  expires: 15m\n"
                    "  addressing_style: path\n  source: env\n")

        defaults = self.credkit("--config", config, "presign", "s3://my-bucket/k")
        overridden = self.credkit("--config", config, "presign", "--expires", "1h",
                                  "--addressing-style", "auto", "s3://my-bucket/k")

        self.assertExit(defaults, 0)
        self.assertTrue(defaults.stdout.startswith("https://s3.eu-west-1.amazonaws.com/my-bucket/k?"))
        self.assertIn("X-Amz-Expires=900&", defaults.stdout)
        self.assertTrue(overridden.stdout.startswith("https://my-bucket.s3.eu-west-1.amazonaws.com/k?"))
        self.assertIn("X-Amz-Expires=3600&", overridden.stdout)

    def test_unknown_presign_config_key_names_file_and_line(self):
        config = self.path("config.yaml")
        with open(config, "w") as f:
            f.write("presign:\n  regoin: eu-west-1\n")

        result = self.credkit("--config", config, "presign", "s3://b/k")

        self.assertExit(result, EXIT_USAGE)
        self.assertIn(f"invalid config {config}:2: unknown key 'presign.regoin'", result.stderr)

    def test_secret_never_reaches_stderr_at_debug_verbosity(self):
        result = self.credkit("-vv", "presign", "--source", "env", "-i", "-",
                              input="s3://b/k\nbad\n",
                              env=dict(self.env, AWS_SESSION_TOKEN="tok-secret-123456"))

        self.assertNotIn(SECRET, result.stderr)
        self.assertNotIn("tok-secret-123456", result.stderr)
        self.assertNotIn(KEY_ID, result.stderr)


class PresignFromImds(CredkitTestCase):
    def test_a_batch_asks_imds_once_however_many_urls(self):
        with MockImds() as imds:
            result = self.credkit("-vv", "presign", "--source", "imds", "--imds-endpoint",
                                  imds.endpoint, "-i", "-",
                                  input="".join(f"s3://my-bucket/k{i}\n" for i in range(500)))

        self.assertExit(result, 0)
        self.assertEqual(len(result.stdout.splitlines()), 500)
        self.assertEqual(sum("security-credentials/credkit-demo-role" in line
                             for line in result.stderr.splitlines()), 1)
        self.assertIn("X-Amz-Security-Token=", result.stdout)
        self.assertIn("placement/region", result.stderr)  # the region came from IMDS too


if __name__ == "__main__":
    unittest.main()
