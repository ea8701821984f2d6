#!/usr/bin/env bash
# Installs everything credkit needs to build and test on Debian 12 (bookworm): the compiler
# and build tools, the -dev packages of its libraries, and the real peers its tests judge it
# by (htslib's tabix and bcftools, s3cmd). Python's boto3, botocore, awscli and moto are
# expected on the machine already; the script checks for them and says so when they are not.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config clang-format git
  libcli11-dev libcurl4-openssl-dev libssl-dev libfmt-dev libyaml-cpp-dev
  nlohmann-json3-dev libcpp-httplib-dev libsystemd-dev
  doctest-dev libbenchmark-dev
  tabix bcftools s3cmd
  fish zsh groff-base util-linux
)

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if ((${#missing[@]})); then
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"
fi

# promtool judges check-expiry's Prometheus output. Debian ships it only inside the
# prometheus server package, which would also start a server on installation: unpack the one
# program into .tools/ instead, where the tests look for it.
tools="$(cd "$(dirname "$0")/.." && pwd)/.tools"
if [ ! -x "$tools/promtool" ] && ! command -v promtool >/dev/null; then
  unpack=$(mktemp -d)
  (
    cd "$unpack"
    apt-get download prometheus >/dev/null 2>&1 ||
      { $sudo apt-get update -qq && apt-get download prometheus >/dev/null; }
    dpkg-deb -x prometheus_*.deb root
    install -D -m 0755 root/usr/bin/promtool "$tools/promtool"
  )
  rm -rf "$unpack"
fi

python="${PYTHON:-python3}"
if ! "$python" -c 'import boto3, botocore, moto' 2>/dev/null; then
  echo "install-deps: warning: $python lacks boto3/botocore/moto; the peer tests need them" >&2
fi
