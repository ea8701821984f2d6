#!/usr/bin/env python3
"""Memory and wake-ups of `credkit write-s3cfg --watch`, beside a boto3 refresher doing the
same job, measured in the same run against the same local mock-imds.

Usage: bench/refresher_footprint.py [--seconds N] [--credkit PATH]

For each refresher it prints the peak and final resident memory (VmHWM, VmRSS from
/proc/PID/status) and how many times the process woke up (voluntary context switches) over
the run, with the number of refreshes it made. Target for credkit: under 10 MB RSS, and wake-ups
that follow the work (a refresh) rather than a polling loop.
"""

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_BIN = os.path.join(HERE, "..", "build", "apps", "credkit")

# The peer: what people write when they refresh a file from IMDS with boto3.
BOTO3_REFRESHER = r"""
import os, sys, time, configparser, botocore.session
from botocore.utils import InstanceMetadataFetcher
path, interval = sys.argv[1], float(sys.argv[2])
fetcher = InstanceMetadataFetcher(timeout=1, num_attempts=3,
                                  base_url=os.environ["AWS_EC2_METADATA_SERVICE_ENDPOINT"])
while True:
    creds = fetcher.retrieve_iam_role_credentials()
    cfg = configparser.ConfigParser()
    cfg["default"] = {"access_key": creds["access_key"], "secret_key": creds["secret_key"],
                      "access_token": creds["token"]}
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        cfg.write(f)
    os.replace(tmp, path)
    time.sleep(interval)
"""


def status(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields


def memory(pid):
    """Resident, proportional and private memory in KiB, from smaps_rollup."""
    fields = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            key, _, value = line.partition(":")
            if value.strip().endswith("kB"):
                fields[key] = int(value.split()[0])
    return {"rss": fields["Rss"], "pss": fields["Pss"],
            "private": fields["Private_Clean"] + fields["Private_Dirty"]}


def kib(value):
    return int(value.split()[0])


def measure(name, command, env, seconds, refreshes_of):
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)  # let it start and make its first refresh
    start = status(process.pid)
    time.sleep(seconds)
    end = status(process.pid)
    shares = memory(process.pid)
    process.send_signal(signal.SIGTERM)
    try:
        _, err = process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
    wakeups = kib(end["voluntary_ctxt_switches"]) - kib(start["voluntary_ctxt_switches"])
    return {
        "name": name,
        "peak_kib": kib(end["VmHWM"]),
        "rss_kib": kib(end["VmRSS"]),
        "pss_kib": shares["pss"],
        "private_kib": shares["private"],
        "wakeups": wakeups,
        "refreshes": refreshes_of(err),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--interval", type=float, default=5,
                        help="refresh interval given to both refreshers, in seconds")
    parser.add_argument("--credkit", default=DEFAULT_BIN)
    args = parser.parse_args()
    credkit = os.path.abspath(args.credkit)

    with tempfile.TemporaryDirectory() as work:
        mock = subprocess.Popen([credkit, "mock-imds", "--listen", "127.0.0.1:0"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        endpoint = mock.stdout.readline().strip()
        env = dict(os.environ, AWS_EC2_METADATA_SERVICE_ENDPOINT=endpoint, HOME=work)
        try:
            ours = measure(
                "credkit write-s3cfg --watch",
                [credkit, "-v", "write-s3cfg", "--watch", "-o", os.path.join(work, "a.s3cfg"),
                 "--max-interval", f"{int(args.interval)}s"],
                env, args.seconds, lambda err: err.count("refreshed"))
            theirs = measure(
                "python boto3 loop",
                [sys.executable, "-c", BOTO3_REFRESHER, os.path.join(work, "b.s3cfg"),
                 str(args.interval)],
                env, args.seconds, lambda err: None)
        finally:
            mock.terminate()
            mock.wait()

    print(f"refresh every {args.interval:g}s, measured over {args.seconds:g}s")
    print(f"{'refresher':28} {'peak RSS':>9} {'RSS':>8} {'PSS':>8} {'private':>8} "
          f"{'wake-ups':>9} {'refreshes':>9}")
    for row in (ours, theirs):
        refreshes = "-" if row["refreshes"] is None else str(row["refreshes"])
        print(f"{row['name']:28} {row['peak_kib'] / 1024:>7.1f}MB {row['rss_kib'] / 1024:>6.1f}MB "
              f"{row['pss_kib'] / 1024:>6.1f}MB {row['private_kib'] / 1024:>6.1f}MB "
              f"{row['wakeups']:>9} {refreshes:>9}")
    print("RSS counts the pages of shared libraries (libcurl's dependencies, libcrypto, libc) "
          "that other processes share; private is the process's own memory.")
    print(f"memory ratio (peer / credkit): {theirs['peak_kib'] / ours['peak_kib']:.1f}x")
    for label, key in (("RSS", "peak_kib"), ("private memory", "private_kib")):
        verdict = "met" if ours[key] < 10 * 1024 else "MISSED"
        print(f"target under 10 MB {label}: {verdict}")


if __name__ == "__main__":
    main()
