"""`credkit diagnose` against botocore itself: for each machine in a table, the source that
diagnose says boto3 (and the AWS CLI) will use must be the one botocore's own resolver picks.

Each case builds a HOME with files, a set of AWS_* variables and, when it needs one, a running
`credkit mock-imds`. Then, with exactly that environment, it runs
`credkit diagnose --format json --tool boto3 --probe [--profile P]` and
`botocore.session.Session(profile=P).get_credentials()` in a Python subprocess, and asserts
that the method names agree and so do the last four characters of the key id (or that both
find no credentials, or both fail). Every source in a case has its own key id, and no two
cases share one, so the last four characters say which source won.

Cases marked `awscli` also compare `credkit diagnose --tool awscli` with `aws configure list`
(its access_key row: the key's last four characters and, as Type, the method).
"""

import json
import os
import stat
import subprocess
import tempfile
import unittest
from dataclasses import dataclass, field

from credkit_test import BIN, MockImds, clean_env, free_port, python

# Variables botocore reads that clean_env does not scrub.
_ALSO_SCRUBBED = (
    "AWS_EC2_METADATA_V1_DISABLED", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME", "AWS_CREDENTIAL_FILE", "BOTO_CONFIG", "AWS_IMDS_USE_IPV6",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_ACCOUNT_ID", "AWS_DATA_PATH", "AWS_CA_BUNDLE", "AWS_DEFAULT_OUTPUT",
)

# Runs botocore's resolver and prints what it found as one JSON line: the method and the key's
# last four characters, or the class of what it raised (while resolving, or on first use).
_RESOLVER = r"""
import json, sys
import botocore.session
profile = sys.argv[1] or None
touch_key = sys.argv[2] == "key"
try:
    credentials = botocore.session.Session(profile=profile).get_credentials()
except Exception as error:
    print(json.dumps({"raised": type(error).__name__}))
    sys.exit(0)
if credentials is None:
    print(json.dumps({"method": None}))
    sys.exit(0)
found = {"method": credentials.method}
if touch_key:
    try:
        frozen = credentials.get_frozen_credentials()
        found["key4"] = (frozen.access_key or "")[-4:]
        found["token"] = bool(frozen.token)
    except Exception as error:
        found["raised_on_use"] = type(error).__name__
print(json.dumps(found))
"""

_FAILS = "fails"  # expected outcome: botocore raises, diagnose says status "fails"
_NONE = None      # expected outcome: no credentials


@dataclass
class Case:
    """One machine. In its texts, {HOME} is the temporary HOME and {ENV}, {FILE}, {OTHER},
    {CONF}, {PROC}, {ROLE}, {BOTO}, {EC2} become key ids unique to the case and source."""
    name: str
    expect: object  # ("method", "KEY") where KEY names the placeholder, _NONE or _FAILS
    files: dict = field(default_factory=dict)  # path under HOME -> text
    env: dict = field(default_factory=dict)
    profile: str = None  # --profile / Session(profile=...)
    imds: list = None  # mock-imds arguments; None: no metadata service at all
    fails_on_use: bool = False  # the source is found, but botocore raises when using it
    key_known: bool = True  # False: the key exists only after a network call (STS, SSO)
    expires: str = None  # the expiry diagnose must report
    session_token: bool = None  # whether the winner has a session token
    awscli: bool = False  # also compare with `aws configure list`


def keys_file(section, placeholder, extra=""):
    return (f"[{section}]\naws_access_key_id = {{{placeholder}}}\n"
            f"aws_secret_access_key = secret-{placeholder.lower()}\n{extra}")


def process_json(**fields):
    body = {"Version": 1, "AccessKeyId": "{PROC}", "SecretAccessKey": "proc-secret"}
    body.update(fields)
    return json.dumps(body)


SHARED = "shared-credentials-file"
ENV_KEYS = {"AWS_ACCESS_KEY_ID": "{ENV}", "AWS_SECRET_ACCESS_KEY": "env-secret"}
PROCESS = "credential_process = /bin/cat {HOME}/process.json\n"
DROP_PUT = ["--fault", "drop-token-put"]

CASES = [
    # The environment.
    Case("env keys win over the credentials file", ("env", "ENV"),
         files={".aws/credentials": keys_file("default", "FILE")}, env=ENV_KEYS, awscli=True),
    Case("env key id without a secret raises PartialCredentialsError", _FAILS,
         files={".aws/credentials": keys_file("default", "FILE")},
         env={"AWS_ACCESS_KEY_ID": "{ENV}"}),
    Case("env secret set but empty raises PartialCredentialsError", _FAILS,
         env={"AWS_ACCESS_KEY_ID": "{ENV}", "AWS_SECRET_ACCESS_KEY": ""}),
    Case("empty env key id is skipped for the credentials file", (SHARED, "FILE"),
         files={".aws/credentials": keys_file("default", "FILE")},
         env={"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "orphan"}),
    Case("legacy AWS_SECURITY_TOKEN is a session token", ("env", "ENV"),
         env={**ENV_KEYS, "AWS_SECURITY_TOKEN": "legacy-token"}, session_token=True),
    Case("AWS_SESSION_TOKEN is a session token", ("env", "ENV"),
         env={**ENV_KEYS, "AWS_SESSION_TOKEN": "session-token"}, session_token=True),
    Case("env keys without a token have none", ("env", "ENV"), env=ENV_KEYS, session_token=False),
    Case("AWS_CREDENTIAL_EXPIRATION in the future gives an expiry", ("env", "ENV"),
         env={**ENV_KEYS, "AWS_CREDENTIAL_EXPIRATION": "2099-01-01T00:00:00Z"},
         expires="2099-01-01T00:00:00Z"),
    Case("AWS_CREDENTIAL_EXPIRATION in the past fails on first use", ("env", "ENV"),
         env={**ENV_KEYS, "AWS_CREDENTIAL_EXPIRATION": "2001-01-01T00:00:00Z"},
         fails_on_use=True),
    Case("AWS_CREDENTIAL_EXPIRATION that is no date raises", _FAILS,
         env={**ENV_KEYS, "AWS_CREDENTIAL_EXPIRATION": "someday"}),
    Case("AWS_CREDENTIAL_EXPIRATION without a zone fails on first use", ("env", "ENV"),
         env={**ENV_KEYS, "AWS_CREDENTIAL_EXPIRATION": "2099-01-01T00:00:00"},
         fails_on_use=True),

    # Which profile.
    Case("AWS_PROFILE picks the credentials section", (SHARED, "FILE"),
         files={".aws/credentials": keys_file("default", "OTHER") + keys_file("prod", "FILE")},
         env={"AWS_PROFILE": "prod"}, awscli=True),
    Case("AWS_DEFAULT_PROFILE wins over AWS_PROFILE", (SHARED, "FILE"),
         files={".aws/credentials": keys_file("first", "FILE") + keys_file("second", "OTHER")},
         env={"AWS_DEFAULT_PROFILE": "first", "AWS_PROFILE": "second"}),
    Case("AWS_PROFILE keeps env keys in the chain", ("env", "ENV"),
         files={".aws/credentials": keys_file("prod", "FILE")},
         env={**ENV_KEYS, "AWS_PROFILE": "prod"}),
    Case("a profile named in code drops env keys", (SHARED, "FILE"),
         files={".aws/credentials": keys_file("prod", "FILE")}, env=ENV_KEYS, profile="prod",
         awscli=True),
    Case("a profile named in code wins over AWS_PROFILE", (SHARED, "FILE"),
         files={".aws/credentials": keys_file("code", "FILE") + keys_file("env", "OTHER")},
         env={"AWS_PROFILE": "env"}, profile="code"),
    Case("AWS_PROFILE naming a missing profile raises even with env keys", _FAILS,
         env={**ENV_KEYS, "AWS_PROFILE": "nowhere"}, awscli=True),
    Case("a missing profile named in code raises ProfileNotFound", _FAILS,
         files={".aws/credentials": keys_file("default", "FILE")}, profile="nowhere"),
    Case("AWS_PROFILE=default with no files raises ProfileNotFound", _FAILS,
         env={"AWS_PROFILE": "default"}),
    Case("empty AWS_DEFAULT_PROFILE names a profile that is never found", _FAILS,
         files={".aws/credentials": keys_file("prod", "FILE")},
         env={**ENV_KEYS, "AWS_DEFAULT_PROFILE": "", "AWS_PROFILE": "prod"}),
    Case("the default profile may be absent: no credentials, no error", _NONE),
    Case("a profile with settings but no keys finds nothing", _NONE,
         files={".aws/config": "[profile prod]\nregion = eu-west-1\n"},
         env={"AWS_PROFILE": "prod"}),

    # The credentials and config files.
    Case("config file keys when the credentials file lacks the section", ("config-file", "CONF"),
         files={".aws/credentials": keys_file("default", "FILE"),
                ".aws/config": keys_file("profile prod", "CONF")},
         env={"AWS_PROFILE": "prod"}),
    Case("the credentials file comes before the config file", (SHARED, "FILE"),
         files={".aws/credentials": keys_file("default", "FILE"),
                ".aws/config": keys_file("default", "CONF")}),
    Case("config file session token", ("config-file", "CONF"),
         files={".aws/config": keys_file("default", "CONF", "aws_session_token = tok\n")},
         session_token=True),
    Case("a config section without the profile prefix is no profile", _FAILS,
         files={".aws/config": keys_file("prod", "CONF")}, env={"AWS_PROFILE": "prod"}),
    Case("quoted profile header splits like a shell", ("config-file", "CONF"),
         files={".aws/config": keys_file('profile "two words"', "CONF")},
         env={"AWS_PROFILE": "two words"}),
    Case("AWS_SHARED_CREDENTIALS_FILE names another file", (SHARED, "FILE"),
         files={".aws/credentials": keys_file("default", "OTHER"),
                "elsewhere/creds": keys_file("default", "FILE")},
         env={"AWS_SHARED_CREDENTIALS_FILE": "{HOME}/elsewhere/creds"}),
    Case("AWS_CONFIG_FILE with $HOME expanded by botocore", ("config-file", "CONF"),
         files={"alt/config": keys_file("default", "CONF")},
         env={"AWS_CONFIG_FILE": "$HOME/alt/config"}),
    Case("empty AWS_SHARED_CREDENTIALS_FILE reads no credentials file", ("config-file", "CONF"),
         files={".aws/credentials": keys_file("default", "FILE"),
                ".aws/config": keys_file("default", "CONF")},
         env={"AWS_SHARED_CREDENTIALS_FILE": ""}),
    Case("credentials section with a key id but no secret raises", _FAILS,
         files={".aws/credentials": "[default]\naws_access_key_id = {FILE}\n"}),
    Case("uppercase keys and 'key: value' are read", (SHARED, "FILE"),
         files={".aws/credentials": "# keys\n[default]\n; from the console\n"
                                    "AWS_ACCESS_KEY_ID: {FILE}\n"
                                    "Aws_Secret_Access_Key   =   s\n"}),
    Case("an indented secret continues the key id line", _FAILS,
         files={".aws/credentials": "[default]\naws_access_key_id = {FILE}\n"
                                    "    aws_secret_access_key = s\n"}),
    Case("a section repeated in the credentials file breaks it", _FAILS,
         files={".aws/credentials": keys_file("default", "FILE") + "[default]\nregion = x\n"},
         env=ENV_KEYS),
    Case("a broken config file fails even with env keys", _FAILS,
         files={".aws/config": "[default]\nregion\n"}, env=ENV_KEYS, awscli=True),
    Case("a [DEFAULT] section lends its keys to other sections", (SHARED, "FILE"),
         files={".aws/credentials": keys_file("DEFAULT", "FILE") + "[prod]\nregion = x\n"},
         env={"AWS_PROFILE": "prod"}),
    Case("a spaced [ default ] header is not the default profile", _NONE,
         files={".aws/credentials": keys_file(" default ", "FILE")}),
    Case("an expiry_time in the credentials file is reported", (SHARED, "FILE"),
         files={".aws/credentials": keys_file("default", "FILE",
                                              "aws_session_token = t\n"
                                              "expiry_time = 2098-05-04T03:02:01Z\n")},
         expires="2098-05-04T03:02:01Z", session_token=True),

    # credential_process.
    Case("credential_process without Expiration", ("custom-process", "PROC"),
         files={".aws/config": "[default]\n" + PROCESS, "process.json": process_json()},
         awscli=True),
    Case("credential_process with Expiration", ("custom-process", "PROC"),
         files={".aws/config": "[default]\n" + PROCESS,
                "process.json": process_json(SessionToken="t",
                                             Expiration="2097-01-02T03:04:05Z")},
         expires="2097-01-02T03:04:05Z", session_token=True),
    Case("credential_process with an expired Expiration fails on first use",
         ("custom-process", "PROC"),
         files={".aws/config": "[default]\n" + PROCESS,
                "process.json": process_json(Expiration="2002-01-01T00:00:00Z")},
         fails_on_use=True),
    Case("credential_process Version 2 raises", _FAILS,
         files={".aws/config": "[default]\n" + PROCESS, "process.json": process_json(Version=2)}),
    Case("credential_process exiting non-zero raises", _FAILS,
         files={".aws/config": "[default]\ncredential_process = /bin/false\n"}),
    Case("credential_process from the credentials file", ("custom-process", "PROC"),
         files={".aws/credentials": "[default]\n" + PROCESS, "process.json": process_json()}),
    Case("credentials file keys come before credential_process", (SHARED, "FILE"),
         files={".aws/credentials": keys_file("default", "FILE"),
                ".aws/config": "[default]\n" + PROCESS, "process.json": process_json()}),

    # The legacy files.
    Case("~/.boto [Credentials] is boto-config", ("boto-config", "BOTO"),
         files={".boto": keys_file("Credentials", "BOTO")}),
    Case("AWS_CREDENTIAL_FILE with keys is ec2-credentials-file", ("ec2-credentials-file", "EC2"),
         files={"ec2.creds": "AWSAccessKeyId={EC2}\nAWSSecretKey=s\n"},
         env={"AWS_CREDENTIAL_FILE": "{HOME}/ec2.creds"}),
    Case("AWS_CREDENTIAL_FILE naming no file raises", _FAILS,
         env={"AWS_CREDENTIAL_FILE": "{HOME}/not-there"}),

    # Roles that need a network call: the method only.
    Case("role_arn with a source profile is assume-role", ("assume-role", None),
         files={".aws/config": "[profile app]\nrole_arn = arn:aws:iam::123456789012:role/app\n"
                               "source_profile = base\n",
                ".aws/credentials": keys_file("base", "FILE")},
         env={"AWS_PROFILE": "app"}, key_known=False),
    Case("role_arn whose source profile is missing raises", _FAILS,
         files={".aws/config": "[profile app]\nrole_arn = arn:aws:iam::123456789012:role/app\n"
                               "source_profile = gone\n"},
         env={"AWS_PROFILE": "app"}),
    Case("a container credentials URI on a foreign host raises", _FAILS,
         env={"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://192.0.2.1/creds"}),

    # The instance metadata service.
    Case("IMDSv2 gives the instance role", ("iam-role", "ROLE"), imds=[], session_token=True,
         awscli=True),
    Case("env keys come before the instance role", ("env", "ENV"), imds=[], env=ENV_KEYS),
    Case("credentials file comes before the instance role", (SHARED, "FILE"),
         imds=[], files={".aws/credentials": keys_file("default", "FILE")}),
    Case("IMDS without a role gives nothing", _NONE, imds=["--no-role"]),
    Case("IMDS answering 500 for the role gives nothing", _NONE,
         imds=["--fault", "status:500@/latest/meta-data/iam/security-credentials/*"]),
    Case("IMDS malformed credentials JSON gives nothing", _NONE,
         imds=["--fault", "malformed-json"]),
    Case("IMDS expired credentials are still taken", ("iam-role", "ROLE"),
         imds=["--fault", "expired"]),
    Case("token PUT dropped by the hop limit falls back to IMDSv1", ("iam-role", "ROLE"),
         imds=["--allow-v1", *DROP_PUT]),
    Case("token PUT dropped and IMDSv1 refused gives nothing", _NONE, imds=DROP_PUT),
    Case("token PUT dropped with AWS_EC2_METADATA_V1_DISABLED raises", _FAILS,
         imds=["--allow-v1", *DROP_PUT], env={"AWS_EC2_METADATA_V1_DISABLED": "true"}),
    Case("token PUT dropped with ec2_metadata_v1_disabled in the config raises", _FAILS,
         imds=["--allow-v1", *DROP_PUT],
         files={".aws/config": "[default]\nec2_metadata_v1_disabled = true\n"}),
    Case("token PUT answered 500 falls back to IMDSv1", ("iam-role", "ROLE"),
         imds=["--allow-v1", "--fault", "status:500@/latest/api/token"]),
    Case("token PUT answered 400 gives nothing, not even IMDSv1", _NONE,
         imds=["--allow-v1", "--fault", "status:400@/latest/api/token"]),
    Case("AWS_EC2_METADATA_DISABLED turns a healthy IMDS off", _NONE, imds=[],
         env={"AWS_EC2_METADATA_DISABLED": "true"}),
]

# Key ids: 16 characters; the last four are a letter for the source and the case number.
_SOURCES = {"ENV": "E", "FILE": "F", "OTHER": "O", "CONF": "C", "PROC": "P", "ROLE": "R",
            "BOTO": "B", "EC2": "X"}


def key_id(number, placeholder):
    return f"AKIATESTKEY0{_SOURCES[placeholder]}{number:03d}"


def fill(text, number, home):
    for placeholder in _SOURCES:
        text = text.replace("{" + placeholder + "}", key_id(number, placeholder))
    return text.replace("{HOME}", home)


class DiagnoseAgreesWithBotocore(unittest.TestCase):
    maxDiff = None

    def test_matrix(self):
        self.assertGreaterEqual(len(CASES), 40)
        for number, case in enumerate(CASES, start=1):
            with self.subTest(case.name), tempfile.TemporaryDirectory(
                    prefix="credkit-botocore-") as home:
                self.run_case(number, case, home)

    def run_case(self, number, case, home):
        env = self.machine(number, case, home)
        if case.imds is None:
            # A port nobody listens on: both sides find no metadata service, quickly.
            env.setdefault("AWS_EC2_METADATA_SERVICE_ENDPOINT", f"http://127.0.0.1:{free_port()}")
            self.check(number, case, env)
            return
        keys = os.path.join(home, "imds-keys.json")
        with open(keys, "w") as f:
            json.dump([{"AccessKeyId": key_id(number, "ROLE"), "SecretAccessKey": "role-secret",
                        "Token": "role-token"}], f)
        with MockImds("--credentials-file", keys, *case.imds) as imds:
            env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = imds.endpoint
            self.check(number, case, env)

    def machine(self, number, case, home):
        for path, text in case.files.items():
            full = os.path.join(home, path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w") as f:
                f.write(fill(text, number, home))
            os.chmod(full, stat.S_IRUSR | stat.S_IWUSR)
        env = clean_env(home)
        for name in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", *_ALSO_SCRUBBED):
            env.pop(name, None)
        if ".boto" not in case.files:
            # Nothing outside HOME: /etc/boto.cfg would otherwise be read.
            env["BOTO_CONFIG"] = os.path.join(home, "no-boto-config")
        env.update({k: fill(v, number, home) for k, v in case.env.items()})
        return env

    def check(self, number, case, env):
        botocore = self.botocore(case, env)
        verdict = self.diagnose(case, env, "boto3")
        self.assertExpected(number, case, botocore)
        self.assertAgrees(case, verdict, botocore)
        if case.awscli:
            self.assertAwscliAgrees(case, env)

    def botocore(self, case, env):
        done = subprocess.run(
            [python(), "-c", _RESOLVER, case.profile or "", "key" if case.key_known else "method"],
            env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 0, done.stderr)
        return json.loads(done.stdout)

    def diagnose(self, case, env, tool):
        args = [BIN, "diagnose", "--format", "json", "--tool", tool, "--probe"]
        if case.profile is not None:
            args += ["--profile", case.profile]
        done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
        self.assertIn(done.returncode, (0, 1, 2), done.stderr)
        report = json.loads(done.stdout)
        return next(t for t in report["tools"] if t["tool"] == tool)

    # The case says what botocore should do, so that a machine built wrongly (both sides
    # agreeing on the wrong thing) is caught too.
    def assertExpected(self, number, case, botocore):
        if case.expect is _FAILS:
            self.assertIn("raised", botocore, botocore)
        elif case.expect is _NONE:
            self.assertEqual(botocore, {"method": None})
        else:
            method, placeholder = case.expect
            self.assertEqual(botocore.get("method"), method, botocore)
            if case.fails_on_use:
                self.assertIn("raised_on_use", botocore)
            elif placeholder:
                self.assertEqual(botocore.get("key4"), key_id(number, placeholder)[-4:])

    def assertAgrees(self, case, verdict, botocore):
        source = verdict["source"]
        described = json.dumps(verdict, indent=1)
        if "raised" in botocore:
            self.assertEqual(verdict["status"], "fails", described)
            self.assertIsNone(source, described)
            return
        if botocore["method"] is None:
            self.assertEqual(verdict["status"], "no-credentials", described)
            self.assertIsNone(verdict["failure"], described)
            return
        self.assertIsNotNone(source, described)
        self.assertEqual(source["method"], botocore["method"], described)
        if "raised_on_use" in botocore:
            self.assertEqual(verdict["status"], "fails", described)
            return
        self.assertEqual(verdict["status"], "ok" if case.key_known else "unverified", described)
        if not case.key_known:
            self.assertIsNone(source["key_id"], described)
            return
        self.assertEqual(source["key_id"], "****" + botocore["key4"], described)
        self.assertEqual(source["session_token"], botocore["token"], described)
        if case.session_token is not None:
            self.assertEqual(source["session_token"], case.session_token, described)
        if case.expires is not None:
            self.assertEqual(source["expires"], case.expires, described)

    def assertAwscliAgrees(self, case, env):
        args = [python(), "-m", "awscli", "configure", "list"]
        if case.profile is not None:
            args += ["--profile", case.profile]
        done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
        verdict = self.diagnose(case, env, "awscli")
        described = json.dumps(verdict, indent=1) + "\naws: " + done.stdout + done.stderr
        if done.returncode != 0:
            self.assertEqual(verdict["status"], "fails", described)
            return
        row = next(line.split() for line in done.stdout.splitlines()
                   if line.strip().startswith("access_key"))
        value, kind = row[1], row[2]
        if value == "<not" or kind == "None":
            self.assertEqual(verdict["status"], "no-credentials", described)
            return
        self.assertEqual(verdict["status"], "ok", described)
        self.assertEqual(verdict["source"]["method"], kind, described)
        self.assertEqual(verdict["source"]["key_id"], "****" + value[-4:], described)


if __name__ == "__main__":
    unittest.main()
