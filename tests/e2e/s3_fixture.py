"""A local S3 that checks every signature, holding a tabix-indexed VCF, for tests in which the
real clients (htslib's `tabix` and `bcftools`, `s3cmd`) read S3 with credentials credkit wrote.

moto's server checks SigV4 signatures, session tokens and IAM policies only when its
environment sets INITIAL_NO_AUTH_ACTION_COUNT: the first that many actions go unchecked, every
later one is checked (moto/core/authorization.py). `MotoS3` lets exactly the three actions that
create an admin user and its key through unchecked, then does everything else (bucket, upload,
test users and roles, revocations) as that admin, so every request the tests make is checked.
It proves that on start: a request signed with a wrong secret must be refused.

How moto judges a request (moto/iam/access_control.py): an AKIA key id, or any request without
X-Amz-Security-Token, must be an IAM user's access key (a token sent with such a key is refused);
an ASIA key id with a token must come from sts:AssumeRole and the token must be the one issued
with it. The signature is recomputed with botocore's signer. Then the IAM user's or the role's
policies must allow the action. moto keeps no expiry for assumed-role keys, so a session key is
revoked here as AWS revokes sessions: an inline Deny-all policy on its role.
"""

import dataclasses
import json
import os
import random
import re
import shutil
import subprocess
import time
import urllib.request

from credkit_test import free_port, terminate

BUCKET = "credkit-vcf"
REGION = "us-east-1"

# The actions moto lets through unchecked: CreateUser, PutUserPolicy and CreateAccessKey for
# the admin user. Keep it in step with _create_admin.
_UNCHECKED_ACTIONS = 3

_S3_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}
_ADMIN_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
_DENY_ALL_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}],
}
_TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
}

# s3cmd refreshes an instance role on its own when its config holds a session token, by
# asking 169.254.169.254 directly (S3/Config.py, role_config). A test must never reach a real
# metadata service, so s3cmd runs with this module first on its path: connections to anything
# but loopback are refused, as they would be off EC2, and s3cmd goes on with the file's keys.
_LOOPBACK_ONLY = '''\
import socket

_connect = socket.socket.connect


def _loopback_only(self, address):
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and not (host.startswith("127.") or host in ("::1", "localhost")):
        raise ConnectionRefusedError(111, "tests allow loopback connections only: " + host)
    return _connect(self, address)


socket.socket.connect = _loopback_only
'''


@dataclasses.dataclass(frozen=True)
class S3Keys:
    """A key pair moto knows, and what revoking it takes."""

    access_key_id: str
    secret_access_key: str
    session_token: str = ""
    user: str = ""  # the IAM user owning a long-term key
    role: str = ""  # the role a session key was issued for

    def with_secret(self, secret):
        """The same key id and token with another secret: signatures that must be refused."""
        return dataclasses.replace(self, secret_access_key=secret)

    def imds_entry(self):
        """The object `credkit mock-imds --credentials-file` reads for these keys."""
        entry = {"AccessKeyId": self.access_key_id, "SecretAccessKey": self.secret_access_key}
        if self.session_token:
            entry["Token"] = self.session_token
        return entry


# ---- the VCF ------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Vcf:
    """A bgzip-compressed VCF with its tabix index, on disk."""

    path: str  # the .vcf.gz; the index is path + ".tbi"
    contigs: tuple

    def region(self, region):
        """The records of a region as `tabix` reads them from the local file: the oracle."""
        result = subprocess.run(["tabix", self.path, region], capture_output=True, text=True,
                                check=True, timeout=60)
        return result.stdout


def make_vcf(directory, name="calls", contigs=("chr1", "chr2", "chr3"), records=300, seed=7):
    """Writes NAME.vcf.gz and its .tbi: a valid VCFv4.2 with `records` sorted records per contig,
    one sample, and reproducible pseudo-random content that compresses about as badly as real
    calls do, so that a big file needs many BGZF blocks."""
    rng = random.Random(seed)
    length = records * 100 + 1000
    lines = ["##fileformat=VCFv4.2", "##source=credkit-e2e"]
    lines += [f"##contig=<ID={contig},length={length}>" for contig in contigs]
    lines += [
        '##INFO=<ID=DP,Number=1,Type=Integer,Description="Total depth">',
        '##INFO=<ID=AF,Number=A,Type=Float,Description="Allele frequency">',
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        '##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">',
        "\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT",
                   "sample1"]),
    ]
    for contig in contigs:
        position = 0
        for index in range(records):
            position += rng.randint(1, 99)
            ref, alt = rng.sample("ACGT", 2)
            lines.append("\t".join([
                contig, str(position), f"{contig}_{index}_{rng.getrandbits(40):x}", ref, alt,
                str(rng.randint(10, 99)), "PASS",
                f"DP={rng.randint(5, 200)};AF={rng.random():.4f}", "GT:GQ",
                f"{rng.choice(['0/1', '1/1', '0/0'])}:{rng.randint(1, 99)}",
            ]))
    plain = os.path.join(directory, name + ".vcf")
    with open(plain, "w") as f:
        f.write("\n".join(lines) + "\n")
    subprocess.run(["bgzip", "-f", plain], check=True, timeout=60)
    subprocess.run(["tabix", "-f", "-p", "vcf", plain + ".gz"], check=True, timeout=60)
    return Vcf(plain + ".gz", tuple(contigs))


# ---- config files for the clients ---------------------------------------------------------------

def write_s3cfg(path, keys, host_base, section="default"):
    """An s3cmd-style config by hand, as htslib and s3cmd read it: path-style on host_base."""
    lines = [f"[{section}]", f"access_key = {keys.access_key_id}",
             f"secret_key = {keys.secret_access_key}"]
    if keys.session_token:
        lines.append(f"access_token = {keys.session_token}")
    lines += [f"host_base = {host_base}", f"host_bucket = {host_base}",
              f"bucket_location = {REGION}"]
    _write_private(path, "\n".join(lines) + "\n")


def write_credentials_file(path, keys, expiry_time=None, profile="default"):
    """An AWS shared credentials section with exactly the four keys htslib's refresh reads.
    The token line is written even when empty: a refresh leaves a key the file lacks as it
    was, so only an empty value clears an old token."""
    lines = [f"[{profile}]", f"aws_access_key_id = {keys.access_key_id}",
             f"aws_secret_access_key = {keys.secret_access_key}",
             f"aws_session_token = {keys.session_token}"]
    if expiry_time is not None:
        lines.append(f"expiry_time = {rfc3339(expiry_time)}")
    _write_private(path, "\n".join(lines) + "\n")


def rfc3339(epoch_seconds):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch_seconds))


def _write_private(path, text):
    # Written beside the target and renamed over it, as credkit does, so that a reader that
    # opens the file mid-test never sees half of it.
    temporary = f"{path}.tmp-{os.getpid()}"
    with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        f.write(text)
    os.replace(temporary, path)


# ---- the server ---------------------------------------------------------------------------------

class MotoServer:
    """moto_server on a free loopback port for the length of a `with` block. Its output (one
    line per request) goes to moto.log in `workdir`. With `unchecked_actions` set, moto checks
    signatures after that many requests; without, it checks none."""

    def __init__(self, workdir, unchecked_actions=None):
        self.workdir = workdir
        self.unchecked_actions = unchecked_actions
        self.port = None
        self.process = None
        self._log = None

    def __enter__(self):
        moto = shutil.which("moto_server")
        if moto is None:
            raise FileNotFoundError("moto_server is not installed")
        self.port = free_port()
        self._log = open(os.path.join(self.workdir, "moto.log"), "w+")
        env = {k: v for k, v in os.environ.items() if k != "INITIAL_NO_AUTH_ACTION_COUNT"}
        if self.unchecked_actions is not None:
            env["INITIAL_NO_AUTH_ACTION_COUNT"] = str(self.unchecked_actions)
        self.process = subprocess.Popen([moto, "-H", "127.0.0.1", "-p", str(self.port)],
                                        stdout=self._log, stderr=subprocess.STDOUT, env=env)
        try:
            self._wait_until_listening()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        if self.process is not None:
            terminate(self.process)
        if self._log is not None:
            self._log.close()

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    def log_text(self):
        if self._log is None:
            return ""
        self._log.flush()
        with open(self._log.name) as f:
            return f.read()

    def _wait_until_listening(self):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"moto_server exited: {self.log_text()}")
            try:
                urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("moto_server did not start within 30 s")


class MotoS3:
    """moto_server on a free loopback port with authentication on, a bucket holding `vcf` (and
    its index), and helpers to make and revoke keys and run the real clients against it.

    Use it as a context manager; the server is stopped at the end of the block. Its request log
    (one line per request, as the server prints it) is kept, for tests that count requests.
    """

    def __init__(self, workdir, vcf, bucket=BUCKET):
        self.workdir = workdir
        self.vcf = vcf
        self.bucket = bucket
        self.server = MotoServer(workdir, unchecked_actions=_UNCHECKED_ACTIONS)
        self.admin = None
        self._serial = 0

    # -- lifecycle --

    def __enter__(self):
        self.server.__enter__()
        try:
            self.admin = self._create_admin()
            self._upload_vcf()
            self._prove_signatures_are_checked()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        self.server.__exit__(*exc)

    def _create_admin(self):
        """The admin user and key, made by the only actions moto lets through unchecked."""
        iam = self._client("iam", None)
        iam.create_user(UserName="admin")
        iam.put_user_policy(UserName="admin", PolicyName="admin",
                            PolicyDocument=json.dumps(_ADMIN_POLICY))
        key = iam.create_access_key(UserName="admin")["AccessKey"]
        return S3Keys(key["AccessKeyId"], key["SecretAccessKey"], user="admin")

    def _prove_signatures_are_checked(self):
        if self.refuses(self.admin.with_secret("not-the-secret")) != "SignatureDoesNotMatch":
            raise RuntimeError("moto accepted a wrong signature: authentication is not on")

    def _upload_vcf(self):
        s3 = self.client("s3")
        s3.create_bucket(Bucket=self.bucket)
        for path in (self.vcf.path, self.vcf.path + ".tbi"):
            s3.upload_file(path, self.bucket, os.path.basename(path))

    # -- where things are --

    @property
    def port(self):
        return self.server.port

    @property
    def endpoint(self):
        return self.server.endpoint

    @property
    def host_base(self):
        """What host_base and host_bucket say for path-style requests to this server."""
        return f"127.0.0.1:{self.port}"

    @property
    def vcf_key(self):
        return os.path.basename(self.vcf.path)

    def url(self, key=None):
        """The URL htslib opens: `s3+http://` selects plain http."""
        return f"s3+http://{self.bucket}/{key or self.vcf_key}"

    def log_text(self):
        return self.server.log_text()

    def log_mark(self):
        """A point in the request log, for object_gets(since=...)."""
        return len(self.log_text())

    def object_gets(self, key=None, since=0):
        """{status: count} of the GET requests for an object (default: the VCF) the server has
        answered, since a log_mark() or from the start."""
        pattern = re.compile(
            r'"GET /' + re.escape(f"{self.bucket}/{key or self.vcf_key}") + r'[? ][^"]*" (\d+)')
        counts = {}
        for status in pattern.findall(self.log_text()[since:]):
            counts[int(status)] = counts.get(int(status), 0) + 1
        return counts

    # -- keys --

    def client(self, service, keys=None):
        """A boto3 client for this server, signing with `keys` (default: the admin's)."""
        return self._client(service, keys or self.admin)

    def _client(self, service, keys):
        import boto3
        from botocore.config import Config

        if keys is None:  # for the unchecked actions only
            keys = S3Keys("unchecked", "unchecked")
        return boto3.client(service, region_name=REGION, endpoint_url=self.endpoint,
                            aws_access_key_id=keys.access_key_id,
                            aws_secret_access_key=keys.secret_access_key,
                            aws_session_token=keys.session_token or None,
                            config=Config(s3={"addressing_style": "path"},
                                          retries={"max_attempts": 1}))

    def _name(self, prefix):
        self._serial += 1
        return f"{prefix}-{self._serial}"

    def make_user_keys(self):
        """A long-term key (AKIA..., no token) of a new IAM user allowed s3:*."""
        iam = self.client("iam")
        user = self._name("reader")
        iam.create_user(UserName=user)
        iam.put_user_policy(UserName=user, PolicyName="s3", PolicyDocument=json.dumps(_S3_POLICY))
        key = iam.create_access_key(UserName=user)["AccessKey"]
        return S3Keys(key["AccessKeyId"], key["SecretAccessKey"], user=user)

    def make_session_keys(self):
        """Session credentials (ASIA..., with a token) from sts:AssumeRole on a new role allowed
        s3:*, as an instance role's are."""
        iam = self.client("iam")
        role = self._name("instance-role")
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(_TRUST_POLICY))
        iam.put_role_policy(RoleName=role, PolicyName="s3", PolicyDocument=json.dumps(_S3_POLICY))
        arn = iam.get_role(RoleName=role)["Role"]["Arn"]
        issued = self.client("sts").assume_role(RoleArn=arn, RoleSessionName=role)["Credentials"]
        return S3Keys(issued["AccessKeyId"], issued["SecretAccessKey"], issued["SessionToken"],
                      role=role)

    def revoke(self, keys):
        """Makes moto refuse these keys from now on: a user's key is deleted; a session is
        denied everything by an inline policy on its role, as AWS's "revoke sessions" does."""
        iam = self.client("iam")
        if keys.user:
            iam.delete_access_key(UserName=keys.user, AccessKeyId=keys.access_key_id)
        elif keys.role:
            iam.put_role_policy(RoleName=keys.role, PolicyName="revoked",
                                PolicyDocument=json.dumps(_DENY_ALL_POLICY))
        else:
            raise ValueError("these keys name neither a user nor a role")

    def refuses(self, keys):
        """The error code moto answers a GET of the VCF's first byte signed with `keys`
        (SignatureDoesNotMatch, InvalidToken, InvalidAccessKeyId, AccessDenied), or None when
        it serves it."""
        from botocore.exceptions import ClientError

        try:
            self.client("s3", keys).get_object(Bucket=self.bucket, Key=self.vcf_key,
                                               Range="bytes=0-0")
            return None
        except ClientError as error:
            return error.response["Error"]["Code"]

    # -- the real clients --

    def run_htslib(self, tool_args, env, cwd, timeout=60):
        """Runs an htslib tool in `cwd` (tabix saves a downloaded index into its working
        directory, so each run gets a fresh one) and returns the CompletedProcess."""
        return subprocess.run(tool_args, env=env, cwd=cwd, capture_output=True, text=True,
                              timeout=timeout)

    def tabix(self, env, cwd, *regions, url=None):
        return self.run_htslib(["tabix", url or self.url(), *regions], env, cwd)

    def bcftools_view(self, env, cwd, region, url=None):
        """`bcftools view -H -r REGION`: the records of a region, without the header."""
        return self.run_htslib(["bcftools", "view", "-H", "-r", region, url or self.url()],
                               env, cwd)

    def s3cmd(self, config, env, *args):
        """`s3cmd -c CONFIG --no-ssl ARGS` with connections to anything but loopback refused.

        The config must name this server in host_base and host_bucket (s3cmd's defaults are
        AWS's hosts); --no-ssl because s3cmd uses https unless its config says use_https = False,
        which credkit does not write.
        """
        guard = os.path.join(self.workdir, "loopback-only")
        os.makedirs(guard, exist_ok=True)
        with open(os.path.join(guard, "sitecustomize.py"), "w") as f:
            f.write(_LOOPBACK_ONLY)
        env = dict(env, PYTHONPATH=guard)
        return subprocess.run(["s3cmd", "-c", config, "--no-ssl", *args], env=env,
                              capture_output=True, text=True, timeout=60)


def tools_missing():
    """The names of the programs these tests need that are not installed."""
    return [tool for tool in ("moto_server", "tabix", "bgzip", "bcftools", "s3cmd")
            if shutil.which(tool) is None]


def loopback_only_pythonpath(directory):
    """A directory to put first on PYTHONPATH so that a Python client (s3cmd) can connect to
    loopback addresses only: it then meets the metadata service as it would off EC2, on any
    machine the tests run on."""
    guard = os.path.join(directory, "loopback-only")
    os.makedirs(guard, exist_ok=True)
    with open(os.path.join(guard, "sitecustomize.py"), "w") as f:
        f.write(_LOOPBACK_ONLY)
    return guard
