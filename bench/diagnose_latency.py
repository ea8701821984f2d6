#!/usr/bin/env python3
"""Wall time of `credkit diagnose`, beside `aws configure list` and botocore's credential
resolution in a fresh python process, under the same environments in the same run.

Usage: bench/diagnose_latency.py [--runs N] [--credkit PATH] [--python PATH] [--aws PATH]

Environments, each with a fresh HOME and no AWS_* variable but those named:
  static keys    ~/.aws/credentials holds keys; diagnose runs with --no-probe
  silent imds    the endpoint accepts connections and never answers a byte
  blackhole      the endpoint's listen backlog is full, so connection attempts go unanswered
                 (the SYN is dropped, as when a firewall drops metadata traffic)
  mock-imds      a healthy `credkit mock-imds` on loopback
In the three IMDS environments AWS_EC2_METADATA_SERVICE_ENDPOINT names the endpoint and
diagnose runs with --probe, so every tool asks the same server.

Targets for credkit: a median under 50 ms with --no-probe; under 3 s with probes on, however
the endpoint fails. Each cell is the median over the runs, with the slowest run. A second
table gives CPU time (user + system), which a busy machine does not inflate as it does wall
time.
"""

import argparse
import contextlib
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_BIN = os.path.join(HERE, "..", "build", "apps", "credkit")

BOTOCORE_RESOLVE = ("import botocore.session; "
                    "botocore.session.get_session().get_credentials()")

NO_PROBE_TARGET = 0.050
PROBE_TARGET = 3.0

STATIC_KEYS = ("[default]\n"
               "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
               "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n")


# ---- endpoints that never answer ----------------------------------------------------------------

@contextlib.contextmanager
def silent_endpoint():
    """Accepts every connection and holds it open without a byte of answer."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held, stopping = [], threading.Event()

    def accept_forever():
        server.settimeout(0.1)
        while not stopping.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stopping.set()
        thread.join()
        for connection in held:
            connection.close()
        server.close()


def connects_within(port, seconds):
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.settimeout(seconds)
    try:
        probe.connect(("127.0.0.1", port))
        return True, probe
    except OSError:
        probe.close()
        return False, None


@contextlib.contextmanager
def blackhole_endpoint():
    """A listener that never accepts, its queue filled: Linux then drops further SYNs, and a
    client's connect waits until its own timeout. Yields None when the queue will not fill."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    fillers = []
    try:
        for _ in range(16):
            connected, filler = connects_within(port, 0.3)
            if not connected:
                break
            fillers.append(filler)
        else:
            yield None
            return
        yield f"http://127.0.0.1:{port}"
    finally:
        for filler in fillers:
            filler.close()
        server.close()


@contextlib.contextmanager
def mock_imds(credkit):
    process = subprocess.Popen([credkit, "mock-imds", "--listen", "127.0.0.1:0"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        yield process.stdout.readline().strip()
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


# ---- measuring ----------------------------------------------------------------------------------

def clean_env(home, **extra):
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("AWS_") and key.lower() not in ("http_proxy", "https_proxy")}
    env.update(HOME=home, **extra)
    return env


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timings(command, env, runs):
    """Wall times and CPU times (user + system) of `runs` fresh processes."""
    wall, cpu = [], []
    for _ in range(runs):
        started, cpu_before = time.perf_counter(), cpu_seconds()
        subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=120, check=False)
        wall.append(time.perf_counter() - started)
        cpu.append(cpu_seconds() - cpu_before)
    return {"wall": wall, "cpu": cpu}


def cell(times, kind):
    if times is None:
        return "n/a"
    values = times[kind]
    return f"{format_seconds(statistics.median(values))} (max {format_seconds(max(values))})"


def format_seconds(value):
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def measure(label, env, diagnose_args, args, runs):
    credkit_command = [args.credkit, "diagnose", *diagnose_args]
    peers = {
        "aws configure list": [args.aws, "configure", "list"] if args.aws else None,
        "botocore get_credentials": [args.python, "-c", BOTOCORE_RESOLVE],
    }
    row = {"environment": label, "credkit diagnose": timings(credkit_command, env, runs)}
    for name, command in peers.items():
        row[name] = timings(command, env, runs) if command else None
    return row


def run_environments(args, keys_home, empty_home):
    rows = [measure("static keys, --no-probe", clean_env(keys_home), ["--no-probe"], args,
                    args.runs)]
    # An empty HOME for the IMDS environments: no file stops any tool's chain before IMDS.
    endpoints = [("silent imds", silent_endpoint()), ("blackhole imds", blackhole_endpoint()),
                 ("mock-imds", mock_imds(args.credkit))]
    for label, endpoint_context in endpoints:
        with endpoint_context as endpoint:
            if endpoint is None:
                print(f"note: {label}: the listen queue would not fill; skipped",
                      file=sys.stderr)
                continue
            env = clean_env(empty_home, AWS_EC2_METADATA_SERVICE_ENDPOINT=endpoint)
            rows.append(measure(f"{label}, --probe", env, ["--probe"], args,
                                max(1, args.runs // 3)))
    return rows


def verdict(row):
    times = row["credkit diagnose"]["wall"]
    target = NO_PROBE_TARGET if "--no-probe" in row["environment"] else PROBE_TARGET
    return ("met" if statistics.median(times) < target else "MISSED") + \
        f" (< {format_seconds(target)})"


COLUMNS = ["environment", "credkit diagnose", "aws configure list", "botocore get_credentials"]
WIDTHS = [26, 24, 24, 26, 18]


def print_table(title, rows, kind, last_column=None):
    print(title)
    names = COLUMNS + ([last_column[0]] if last_column else [])
    print("  ".join(name.ljust(width) for name, width in zip(names, WIDTHS)).rstrip())
    for row in rows:
        cells = [row["environment"]] + [cell(row[name], kind) for name in COLUMNS[1:]]
        if last_column:
            cells.append(last_column[1](row))
        print("  ".join(text.ljust(width) for text, width in zip(cells, WIDTHS)).rstrip())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9,
                        help="runs per cell without probes; a third as many with probes")
    parser.add_argument("--credkit", default=DEFAULT_BIN)
    parser.add_argument("--python", default=sys.executable,
                        help="a python that can import botocore")
    parser.add_argument("--aws", default=shutil.which("aws"))
    args = parser.parse_args()
    args.credkit = os.path.abspath(args.credkit)

    with tempfile.TemporaryDirectory(prefix="credkit-bench-") as work:
        keys_home, empty_home = os.path.join(work, "keys"), os.path.join(work, "empty")
        os.makedirs(os.path.join(keys_home, ".aws"))
        os.makedirs(empty_home)
        credentials = os.path.join(keys_home, ".aws", "credentials")
        with open(credentials, "w") as f:
            f.write(STATIC_KEYS)
        os.chmod(credentials, 0o600)
        rows = run_environments(args, keys_home, empty_home)
    print_table(f"wall time per process: median (slowest) over {args.runs} runs without probes, "
                f"{max(1, args.runs // 3)} with", rows, "wall", ("target", verdict))
    print()
    print_table("cpu time per process (user + system), which a busy machine does not inflate",
                rows, "cpu")
    print(f"load average while measuring: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
