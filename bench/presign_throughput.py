#!/usr/bin/env python3
"""Presigning speed of `credkit presign` beside boto3, measured in the same run.

Usage: bench/presign_throughput.py [--keys N] [--sample N] [--credkit PATH]

Prints, with and without a ~1 KB session token: URLs per second of credkit over N keys read
from a file (output to /dev/null), of boto3's generate_presigned_url over a sample, their
ratio, and credkit's peak memory; then the wall time of one `credkit presign s3://b/k`
process beside one `aws s3 presign`. Targets on one core: 1,000,000 URLs/s without a token,
400,000 with one, under 10 MB RSS, and under 10 ms for a single process.
"""

import argparse
import base64
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_BIN = os.path.join(HERE, "..", "build", "apps", "credkit")
KEY_ID, SECRET = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
AT = "2026-12-03T15:16:57Z"

BOTO3_LOOP = r"""
import sys, time, boto3
from botocore.config import Config
keys = [line.rstrip("\n") for line in open(sys.argv[1])]
token = sys.argv[2] or None
s3 = boto3.client("s3", region_name="eu-west-1", aws_access_key_id="%s",
                  aws_secret_access_key="%s", aws_session_token=token,
                  config=Config(signature_version="s3v4", s3={"addressing_style": "virtual"}))
start = time.perf_counter()
for key in keys:
    s3.generate_presigned_url("get_object", Params={"Bucket": "my-bucket", "Key": key},
                              ExpiresIn=3600)
print(len(keys) / (time.perf_counter() - start))
""" % (KEY_ID, SECRET)


def write_keys(path, count, bare):
    with open(path, "w") as f:
        for i in range(count):
            key = f"projects/genomics/sample-{i:08d}/reads.cram"
            f.write(key + "\n" if bare else f"s3://my-bucket/{key}\n")


def credkit_rate(credkit, keys_file, count, env):
    """URLs per second and peak RSS (KiB) of one batch run pinned to one core."""
    start = time.perf_counter()
    with open(os.devnull, "w") as sink:
        process = subprocess.Popen([credkit, "presign", "--source", "env", "--region",
                                    "eu-west-1", "--at", AT, "-i", keys_file],
                                   env=env, stdout=sink)
        os.sched_setaffinity(process.pid, {0})
        _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if status != 0:
        raise RuntimeError(f"credkit presign failed with status {status}")
    return count / elapsed, usage.ru_maxrss


def boto3_rate(sample_file, token, env):
    result = subprocess.run(["taskset", "-c", "0", sys.executable, "-c", BOTO3_LOOP, sample_file,
                             token], env=env, capture_output=True, text=True, check=True)
    return float(result.stdout)


def wall_ms(command, env, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=20_000)
    parser.add_argument("--credkit", default=DEFAULT_BIN)
    args = parser.parse_args()
    credkit = os.path.abspath(args.credkit)
    token = base64.b64encode(os.urandom(768)).decode()  # 1024 characters

    with tempfile.TemporaryDirectory() as work:
        keys_file, sample_file = os.path.join(work, "keys"), os.path.join(work, "sample")
        write_keys(keys_file, args.keys, bare=False)
        write_keys(sample_file, args.sample, bare=True)
        env = dict(os.environ, AWS_ACCESS_KEY_ID=KEY_ID, AWS_SECRET_ACCESS_KEY=SECRET,
                   HOME=work)
        env.pop("AWS_SESSION_TOKEN", None)
        print(f"{args.keys:,} keys for credkit, {args.sample:,} for boto3, one core each")
        print(f"{'session token':14} {'credkit URL/s':>14} {'boto3 URL/s':>12} {'ratio':>7} "
              f"{'credkit peak RSS':>17}")
        for label, value in (("none", ""), ("1 KB", token)):
            run_env = dict(env, AWS_SESSION_TOKEN=value) if value else env
            ours, peak_kib = credkit_rate(credkit, keys_file, args.keys, run_env)
            theirs = boto3_rate(sample_file, value, run_env)
            print(f"{label:14} {ours:>14,.0f} {theirs:>12,.0f} {ours / theirs:>6.0f}x "
                  f"{peak_kib / 1024:>15.1f}MB")

        single = [credkit, "presign", "--source", "env", "s3://my-bucket/key"]
        print(f"one process, median of 30: credkit presign {wall_ms(single, env, 30):.1f} ms",
              end="")
        aws = shutil.which("aws")
        if aws:
            aws_ms = wall_ms([aws, "s3", "presign", "s3://my-bucket/key"], env, 3)
            print(f", aws s3 presign {aws_ms:.0f} ms")
        else:
            print()


if __name__ == "__main__":
    main()
