#!/usr/bin/env bash
# A tour of the main job on any machine: start the bundled metadata server, fetch the
# instance role's credentials from it in a few formats, keep htslib's s3cfg fresh from it,
# presign a link, and stop it.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/apps/credkit ] || BUILD_DIR=build scripts/build.sh
credkit=build/apps/credkit
work=$(mktemp -d)
mock_pid=""
cleanup() {
  [ -n "$mock_pid" ] && kill "$mock_pid" 2>/dev/null && wait "$mock_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

step "credkit mock-imds --role demo-role --port-file $work/port &"
"$credkit" mock-imds --role demo-role --port-file "$work/port" >/dev/null 2>"$work/mock.log" &
mock_pid=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
export AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:$(cat "$work/port")"
echo "listening on $AWS_EC2_METADATA_SERVICE_ENDPOINT"

step "credkit -vv fetch-creds --format credential-process"
"$credkit" -vv fetch-creds --format credential-process

step "credkit fetch-creds --format env --metadata"
"$credkit" fetch-creds --format env --metadata

step "credkit write-s3cfg -o $work/hts.s3cfg --json   # the file htslib reads via HTS_S3_S3CFG"
"$credkit" write-s3cfg -o "$work/hts.s3cfg" --json
ls -l "$work/hts.s3cfg" | cut -d' ' -f1,5-
sed -E 's/^(secret_key|access_token) = (.{6}).*/\1 = \2... (hidden)/' "$work/hts.s3cfg"

step "credkit write-s3cfg -o $work/hts.s3cfg --json   # again: nothing to change"
"$credkit" write-s3cfg -o "$work/hts.s3cfg" --json

step "credkit presign --source imds --region eu-west-1 --expires 15m s3://my-bucket/calls.vcf.gz"
"$credkit" presign --source imds --region eu-west-1 --expires 15m s3://my-bucket/calls.vcf.gz |
  sed -E 's/(X-Amz-Security-Token=.{12})[^&]*/\1.../'

step "credkit fetch-creds --role no-such-role   # failures say why"
"$credkit" fetch-creds --role no-such-role || echo "(exit status $?)"

# diagnose reads the environment and the home directory; these steps run in a clean one so
# that the demo's verdicts are the same on every machine.
isolated() {
  env -i PATH="$PATH" HOME="$work" \
    AWS_EC2_METADATA_SERVICE_ENDPOINT="$AWS_EC2_METADATA_SERVICE_ENDPOINT" "$@"
}

step "credkit fetch-creds --format ini -o $work/credentials   # the trap: a file boto3 also reads"
"$credkit" fetch-creds --format ini -o "$work/credentials"

step "AWS_SHARED_CREDENTIALS_FILE=$work/credentials credkit diagnose --tool boto3,htslib"
isolated AWS_SHARED_CREDENTIALS_FILE="$work/credentials" \
  "$credkit" diagnose --tool boto3,htslib || echo "(exit status $?)"

step "HTS_S3_S3CFG=$work/hts.s3cfg credkit diagnose --tool boto3,htslib   # the cure"
isolated HTS_S3_S3CFG="$work/hts.s3cfg" \
  "$credkit" diagnose --tool boto3,htslib || echo "(exit status $?)"
