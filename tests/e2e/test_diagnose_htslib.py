"""`credkit diagnose --tool htslib` predicts the key id Debian's htslib 1.16 really signs with.

Each case builds a machine (a temporary HOME, its files, environment variables and a URL),
runs `bcftools view -H URL` against RecordingS3, and reads the key id of the request for the
data file (None when htslib sent it unsigned). `credkit diagnose` then runs with the same
environment and URL; its verdict must name that key id (or the anonymous method).

htslib reaches the loopback server through `http_proxy`, which libcurl honours for the
plain-http `s3+http://` URLs used here: unlike HTS_S3_HOST (not read when the URL has a user
part) or host_base (only read when htslib reaches the s3cfg), it works on every path.
"""

import json
import os
import shutil
import subprocess
import tempfile
import unittest
from dataclasses import dataclass, field

from credkit_test import BIN, clean_env
from recording_s3 import RecordingS3

URL = "s3+http://bkt/x.vcf"
DATA_PATH = "/bkt/x.vcf"
VCF = (b"##fileformat=VCFv4.2\n##contig=<ID=1>\n"
       b"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n1\t100\t.\tA\tG\t.\t.\t.\n")

# One key id per source, told apart by their last 4 characters (all diagnose shows).
URL_ID = "AKIAEXAMPLEFROMURL1"
ENV_ID = "AKIAEXAMPLEFROMENV1"
CRED_ID = "AKIAEXAMPLEFROMCRED"
WORK_ID = "AKIAEXAMPLEFROMWORK"
S3CFG_ID = "AKIAEXAMPLEFROMS3CF"
VARS_ID = "AKIAEXAMPLEFROMVARS"
SIMPLE_ID = "AKIAEXAMPLEFROMAWSS"
DFLT_ID = "AKIAEXAMPLEFROMDFLT"
PROF_ID = "AKIAEXAMPLEFROMPROF"
GLOBAL_ID = "AKIAEXAMPLEFROMGLOB"

CRASH = "crash"  # htslib dies on the file before sending anything


def creds(section, key_id, extra=""):
    return f"[{section}]\naws_access_key_id = {key_id}\naws_secret_access_key = secret\n{extra}"


def s3cfg(section, key_id):
    return f"[{section}]\naccess_key = {key_id}\nsecret_key = secret\n"


CREDENTIALS = ".aws/credentials"


@dataclass
class Case:
    name: str
    expect: object  # the key id htslib signs the data request with, None, or CRASH
    method: str  # the method diagnose must name (None: no source at all)
    files: dict = field(default_factory=dict)  # path under HOME -> text
    env: dict = field(default_factory=dict)  # "{home}" is replaced by the HOME path
    url: str = URL
    token: bool = False  # whether X-Amz-Security-Token goes with the data request
    fails: bool = False  # whether diagnose must report a failure (mixed or missing secrets)


CASES = [
    Case("url_keys_win_over_environment_keys", URL_ID, "url",
         env={"AWS_ACCESS_KEY_ID": ENV_ID, "AWS_SECRET_ACCESS_KEY": "s"},
         url=f"s3+http://{URL_ID}:secret@bkt/x.vcf"),
    Case("url_keys_carry_a_session_token", URL_ID, "url", token=True,
         url=f"s3+http://{URL_ID}:secret:token@bkt/x.vcf"),
    Case("url_profile_turns_off_environment_keys_and_profile", WORK_ID, "shared-credentials-file",
         env={"AWS_ACCESS_KEY_ID": ENV_ID, "AWS_SECRET_ACCESS_KEY": "s", "AWS_PROFILE": "dflt"},
         files={CREDENTIALS: creds("dflt", DFLT_ID) + creds("work", WORK_ID)},
         url="s3+http://work@bkt/x.vcf"),
    Case("url_profile_turns_off_a_leftover_session_token", WORK_ID, "shared-credentials-file",
         env={"AWS_SESSION_TOKEN": "leftover"},
         files={CREDENTIALS: creds("work", WORK_ID)}, url="s3+http://work@bkt/x.vcf"),
    Case("url_profile_still_honours_HTS_S3_S3CFG", VARS_ID, "s3cfg",
         env={"HTS_S3_S3CFG": "{home}/elsewhere.s3cfg"},
         files={"elsewhere.s3cfg": s3cfg("work", VARS_ID), ".s3cfg": s3cfg("work", S3CFG_ID)},
         url="s3+http://work@bkt/x.vcf"),
    Case("key_id_alone_in_url_is_a_profile_name", None, "anonymous",
         files={CREDENTIALS: creds("default", CRED_ID)}, url=f"s3+http://{URL_ID}@bkt/x.vcf"),
    Case("empty_url_profile_crashes_on_a_file_with_sections", CRASH, None,
         files={CREDENTIALS: creds("default", CRED_ID)}, url="s3+http://@bkt/x.vcf"),
    Case("empty_url_profile_reads_keys_before_any_section", GLOBAL_ID, "s3cfg",
         files={".s3cfg": f"access_key = {GLOBAL_ID}\nsecret_key = s\n"},
         url="s3+http://@bkt/x.vcf"),
    Case("environment_keys_shadow_an_s3cfg", ENV_ID, "env",
         env={"AWS_ACCESS_KEY_ID": ENV_ID, "AWS_SECRET_ACCESS_KEY": "s"},
         files={".s3cfg": s3cfg("default", S3CFG_ID)}),
    Case("empty_AWS_ACCESS_KEY_ID_falls_through_to_the_s3cfg", S3CFG_ID, "s3cfg",
         env={"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""},
         files={".s3cfg": s3cfg("default", S3CFG_ID)}),
    Case("key_id_without_a_secret_sends_unsigned_requests", None, "anonymous", fails=True,
         env={"AWS_ACCESS_KEY_ID": ENV_ID}, files={".s3cfg": s3cfg("default", S3CFG_ID)}),
    Case("secret_from_the_environment_goes_with_the_s3cfg_key", S3CFG_ID, "s3cfg", fails=True,
         env={"AWS_SECRET_ACCESS_KEY": "leftover"},
         files={".s3cfg": f"[default]\naccess_key = {S3CFG_ID}\n"}),
    Case("credentials_file_section_shadows_an_s3cfg", CRED_ID, "shared-credentials-file",
         files={CREDENTIALS: creds("default", CRED_ID), ".s3cfg": s3cfg("default", S3CFG_ID)}),
    Case("refreshable_credentials_file_section_is_used", CRED_ID, "shared-credentials-file",
         token=True,
         files={CREDENTIALS: creds("default", CRED_ID, "aws_session_token = t\n"
                                   "expiry_time = 2099-01-01T00:00:00Z\n")}),
    Case("leftover_AWS_SESSION_TOKEN_goes_with_the_file_keys", CRED_ID, "shared-credentials-file",
         token=True, fails=True, env={"AWS_SESSION_TOKEN": "leftover"},
         files={CREDENTIALS: creds("default", CRED_ID)}),
    Case("credentials_file_without_the_profile_falls_through_to_the_s3cfg", S3CFG_ID, "s3cfg",
         env={"AWS_PROFILE": "work"},
         files={CREDENTIALS: creds("default", CRED_ID), ".s3cfg": s3cfg("work", S3CFG_ID)}),
    Case("missing_sections_fall_through_to_awssecret", SIMPLE_ID, "awssecret",
         files={CREDENTIALS: creds("other", CRED_ID), ".s3cfg": s3cfg("other", S3CFG_ID),
                ".awssecret": f"{SIMPLE_ID}\nsecret\n"}),
    Case("missing_sections_everywhere_fall_through_to_anonymous", None, "anonymous",
         files={CREDENTIALS: creds("other", CRED_ID), ".s3cfg": s3cfg("other", S3CFG_ID)}),
    Case("AWS_DEFAULT_PROFILE_wins_over_AWS_PROFILE", DFLT_ID, "shared-credentials-file",
         env={"AWS_DEFAULT_PROFILE": "dflt", "AWS_PROFILE": "prof"},
         files={CREDENTIALS: creds("prof", PROF_ID) + creds("dflt", DFLT_ID)}),
    Case("AWS_PROFILE_is_used_when_AWS_DEFAULT_PROFILE_is_unset", PROF_ID,
         "shared-credentials-file", env={"AWS_PROFILE": "prof"},
         files={CREDENTIALS: creds("prof", PROF_ID) + creds("default", DFLT_ID)}),
    Case("empty_AWS_DEFAULT_PROFILE_hides_AWS_PROFILE", None, "anonymous",
         env={"AWS_DEFAULT_PROFILE": "", "AWS_PROFILE": "prof"},
         files={CREDENTIALS: creds("prof", PROF_ID)}),
    Case("keys_before_any_section_count_for_every_profile", GLOBAL_ID, "shared-credentials-file",
         env={"AWS_PROFILE": "work"},
         files={CREDENTIALS: f"aws_access_key_id = {GLOBAL_ID}\naws_secret_access_key = g\n"
                + creds("default", CRED_ID)}),
    Case("a_section_overrides_keys_before_any_section", CRED_ID, "shared-credentials-file",
         files={CREDENTIALS: f"aws_access_key_id = {GLOBAL_ID}\n" + creds("default", CRED_ID)}),
    Case("HTS_S3_S3CFG_replaces_the_home_s3cfg", VARS_ID, "s3cfg",
         env={"HTS_S3_S3CFG": "{home}/elsewhere.s3cfg"},
         files={"elsewhere.s3cfg": s3cfg("default", VARS_ID),
                ".s3cfg": s3cfg("default", S3CFG_ID)}),
    Case("AWS_SHARED_CREDENTIALS_FILE_replaces_the_home_credentials", VARS_ID,
         "shared-credentials-file", env={"AWS_SHARED_CREDENTIALS_FILE": "{home}/creds"},
         files={"creds": creds("default", VARS_ID), CREDENTIALS: creds("default", CRED_ID)}),
    Case("hash_line_is_a_key_not_a_comment", S3CFG_ID, "s3cfg",
         files={CREDENTIALS: f"[default]\n#aws_access_key_id = {CRED_ID}\n",
                ".s3cfg": s3cfg("default", S3CFG_ID)}),
    Case("colon_separates_like_equals", S3CFG_ID, "s3cfg",
         files={".s3cfg": f"[default]\n  access_key:{S3CFG_ID}  \nsecret_key: s\n"}),
]

# Variables that steer htslib and that a developer's shell might carry.
_HTSLIB_VARS = ("HTS_S3_HOST", "HTS_S3_ADDRESS_STYLE", "HTS_S3_V2", "AWS_SHARED_CREDENTIALS_FILE")


def tools_missing():
    return [tool for tool in ("bcftools",) if shutil.which(tool) is None]


@unittest.skipIf(tools_missing(), "bcftools (Debian's htslib) is not installed")
class DiagnoseAgreesWithHtslib(unittest.TestCase):
    def setUp(self):
        self.s3 = RecordingS3({DATA_PATH: VCF}).__enter__()
        self.addCleanup(self.s3.__exit__, None, None, None)

    def machine(self, case):
        """A fresh HOME holding the case's files, and the environment both tools run with."""
        home = tempfile.mkdtemp(prefix="credkit-htslib-")
        self.addCleanup(shutil.rmtree, home)
        for relative, text in case.files.items():
            path = os.path.join(home, relative)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as out:
                out.write(text)
            os.chmod(path, 0o600)
        env = clean_env(home)
        for name in _HTSLIB_VARS:
            env.pop(name, None)
        env.update({name: value.format(home=home) for name, value in case.env.items()})
        env["http_proxy"] = f"http://{self.s3.host}"
        return env

    def htslib_sends(self, case, env):
        """The data request htslib made (None if it made none), and its exit status."""
        self.s3.clear()
        result = subprocess.run(["bcftools", "view", "-H", case.url], env=env,
                                capture_output=True, text=True, timeout=20)
        data = [r for r in self.s3.requests if r.path == DATA_PATH]
        return (data[0] if data else None), result

    def diagnose(self, case, env):
        result = subprocess.run([BIN, "diagnose", "--format", "json", "--tool", "htslib",
                                 "--url", case.url, "--no-probe"], env=env,
                                capture_output=True, text=True, timeout=20)
        self.assertIn(result.returncode, (0, 1, 2), result.stderr)
        report = json.loads(result.stdout)
        (verdict,) = [tool for tool in report["tools"] if tool["tool"] == "htslib"]
        return verdict

    def test_diagnose_names_the_key_id_htslib_signs_with(self):
        for case in CASES:
            with self.subTest(case.name):
                env = self.machine(case)

                request, htslib = self.htslib_sends(case, env)
                verdict = self.diagnose(case, env)

                source = verdict["source"]
                if case.expect == CRASH:
                    self.assertLess(htslib.returncode, 0, "htslib was expected to crash")
                    self.assertIsNone(request)
                    self.assertIsNone(source)
                    self.assertIn("crashes", verdict["failure"])
                    continue
                self.assertIsNotNone(request, f"htslib made no data request: {htslib.stderr}")
                self.assertEqual(request.key_id, case.expect, "htslib did not do as the table says")
                predicted = None if source["method"] == "anonymous" else source["key_id"][-4:]
                self.assertEqual(predicted, request.key_id and request.key_id[-4:])
                self.assertEqual(source["method"], case.method)
                self.assertEqual(source["session_token"], request.session_token)
                self.assertEqual(request.session_token, case.token)
                self.assertEqual(verdict["failure"] is not None, case.fails, verdict["failure"])


if __name__ == "__main__":
    unittest.main()
