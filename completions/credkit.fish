# fish completion for credkit(1). Installed into fish's vendor_completions.d.
# The options listed here must match `credkit [COMMAND] --help`; tests/e2e/test_docs_agree.py
# checks that they do.

complete -c credkit -f

# Commands, offered until one is given.
complete -c credkit -n "not __fish_seen_subcommand_from fetch-creds write-s3cfg presign check-expiry diagnose mock-imds" -a fetch-creds \
    -d "Fetch the instance role's credentials from IMDS"
complete -c credkit -n "not __fish_seen_subcommand_from fetch-creds write-s3cfg presign check-expiry diagnose mock-imds" \
    -a write-s3cfg -d "Write credentials into an s3cfg for htslib and s3cmd, and keep it fresh"
complete -c credkit -n "not __fish_seen_subcommand_from fetch-creds write-s3cfg presign check-expiry diagnose mock-imds" -a presign \
    -d "Make SigV4 presigned S3 URLs, one or millions"
complete -c credkit -n "not __fish_seen_subcommand_from fetch-creds write-s3cfg presign check-expiry diagnose mock-imds" \
    -a check-expiry -d "Tell how long credentials or a presigned URL stay valid, for monitoring"
complete -c credkit -n "not __fish_seen_subcommand_from fetch-creds write-s3cfg presign check-expiry diagnose mock-imds" \
    -a diagnose -d "Tell which credentials each tool will use, and what will go wrong"
complete -c credkit -n "not __fish_seen_subcommand_from fetch-creds write-s3cfg presign check-expiry diagnose mock-imds" -a mock-imds \
    -d "Run a local IMDSv2 server for demos and tests"

# Global options, accepted before or after the command name.
complete -c credkit -s h -l help -d "Print the options and exit"
complete -c credkit -l version -d "Print the version and exit"
complete -c credkit -s v -l verbose -d "Say more on stderr; repeat for one line per IMDS request"
complete -c credkit -s q -l quiet -d "Print errors only"
complete -c credkit -l config -r -F -d "YAML config file"

# credkit fetch-creds
complete -c credkit -n "__fish_seen_subcommand_from fetch-creds" -s f -l format -x \
    -a "json credential-process env fish ini s3cfg" \
    -d "Output format"
complete -c credkit -n "__fish_seen_subcommand_from fetch-creds" -s o -l output -r -F \
    -d "Write to FILE atomically instead of stdout"
complete -c credkit -n "__fish_seen_subcommand_from fetch-creds" -l mode -x -a "0600 0640 0644" \
    -d "Permission mode of the file written"
complete -c credkit -n "__fish_seen_subcommand_from fetch-creds" -l profile -x \
    -d "Section name for the ini and s3cfg formats"
complete -c credkit -n "__fish_seen_subcommand_from fetch-creds" -l metadata \
    -d "Also print region, zone, instance id and account id"
complete -c credkit -n "__fish_seen_subcommand_from fetch-creds" -l imds-endpoint -x \
    -a "http://169.254.169.254 http://[fd00:ec2::254]" \
    -d "Metadata service URL"
complete -c credkit -n "__fish_seen_subcommand_from fetch-creds" -l imds-mode -x -a "ipv4 ipv6" \
    -d "Address family of the default endpoint"
complete -c credkit -n "__fish_seen_subcommand_from fetch-creds" -l imds-timeout -x \
    -d "Time allowed per attempt"
complete -c credkit -n "__fish_seen_subcommand_from fetch-creds" -l imds-attempts -x \
    -d "Tries per request"
complete -c credkit -n "__fish_seen_subcommand_from fetch-creds" -l imds-token-ttl -x \
    -d "Lifetime of the session token"
complete -c credkit -n "__fish_seen_subcommand_from fetch-creds" -l allow-imdsv1 \
    -d "Fall back to IMDSv1 when the token request fails"
complete -c credkit -n "__fish_seen_subcommand_from fetch-creds" -l role -x \
    -d "Instance role to use"

# credkit write-s3cfg
complete -c credkit -n "__fish_seen_subcommand_from write-s3cfg" -s o -l output -r -F \
    -d "The s3cfg to keep fresh"
complete -c credkit -n "__fish_seen_subcommand_from write-s3cfg" -l section -x \
    -d "Section to write"
complete -c credkit -n "__fish_seen_subcommand_from write-s3cfg" -l host-base -x \
    -d "Also write host_base (S3 endpoint)"
complete -c credkit -n "__fish_seen_subcommand_from write-s3cfg" -l host-bucket -x \
    -d "Also write host_bucket (bucket host template)"
complete -c credkit -n "__fish_seen_subcommand_from write-s3cfg" -l bucket-location -x \
    -d "Also write bucket_location (region)"
complete -c credkit -n "__fish_seen_subcommand_from write-s3cfg" -l mode -x -a "0600 0640 0644" \
    -d "Permission mode of the files written"
complete -c credkit -n "__fish_seen_subcommand_from write-s3cfg" -l owner -x -a "(__fish_complete_users)" \
    -d "Owner of the files written, USER[:GROUP]"
complete -c credkit -n "__fish_seen_subcommand_from write-s3cfg" -l also-credentials-file -r -F \
    -d "Also keep an AWS credentials section with expiry_time"
complete -c credkit -n "__fish_seen_subcommand_from write-s3cfg" -l credentials-profile -x \
    -d "Profile section for the credentials file"
complete -c credkit -n "__fish_seen_subcommand_from write-s3cfg" -l source -x \
    -a "imds env profile s3cfg auto" \
    -d "Where credentials come from"
complete -c credkit -n "__fish_seen_subcommand_from write-s3cfg" -l profile -x \
    -d "Profile for the profile, s3cfg and auto sources"
complete -c credkit -n "__fish_seen_subcommand_from write-s3cfg" -l json \
    -d "Print what changed as JSON"
complete -c credkit -n "__fish_seen_subcommand_from write-s3cfg" -l check \
    -d "Change nothing; exit 1 when a file would change"
complete -c credkit -n "__fish_seen_subcommand_from write-s3cfg" -l watch \
    -d "Keep running and keep the files fresh"
complete -c credkit -n "__fish_seen_subcommand_from write-s3cfg" -l refresh-margin -x \
    -d "With --watch, refresh this long before expiry"
complete -c credkit -n "__fish_seen_subcommand_from write-s3cfg" -l max-interval -x \
    -d "With --watch, refresh at least this often"
complete -c credkit -n "__fish_seen_subcommand_from write-s3cfg" -l imds-endpoint -x \
    -a "http://169.254.169.254 http://[fd00:ec2::254]" \
    -d "Metadata service URL"
complete -c credkit -n "__fish_seen_subcommand_from write-s3cfg" -l imds-mode -x -a "ipv4 ipv6" \
    -d "Address family of the default endpoint"
complete -c credkit -n "__fish_seen_subcommand_from write-s3cfg" -l imds-timeout -x \
    -d "Time allowed per attempt"
complete -c credkit -n "__fish_seen_subcommand_from write-s3cfg" -l imds-attempts -x \
    -d "Tries per request"
complete -c credkit -n "__fish_seen_subcommand_from write-s3cfg" -l imds-token-ttl -x \
    -d "Lifetime of the session token"
complete -c credkit -n "__fish_seen_subcommand_from write-s3cfg" -l allow-imdsv1 \
    -d "Fall back to IMDSv1 when the token request fails"
complete -c credkit -n "__fish_seen_subcommand_from write-s3cfg" -l role -x \
    -d "Instance role to use"

# credkit presign
complete -c credkit -n "__fish_seen_subcommand_from presign" -s i -l input -r -F \
    -d "Read one s3://BUCKET/KEY (or key) a line from FILE; - for stdin"
complete -c credkit -n "__fish_seen_subcommand_from presign" -l bucket -x -d "Bucket for bare keys"
complete -c credkit -n "__fish_seen_subcommand_from presign" -s f -l format -x -a "url tsv json" \
    -d "Output format"
complete -c credkit -n "__fish_seen_subcommand_from presign" -l expires -x -d "How long the URL is valid, 1s..7d"
complete -c credkit -n "__fish_seen_subcommand_from presign" -l method -x -a "GET PUT HEAD DELETE" \
    -d "HTTP method the URL allows"
complete -c credkit -n "__fish_seen_subcommand_from presign" -l content-type -x \
    -d "With --method PUT: the Content-Type the upload must send"
complete -c credkit -n "__fish_seen_subcommand_from presign" -l at -x -d "Sign as of this RFC 3339 time"
complete -c credkit -n "__fish_seen_subcommand_from presign" -l strict-expiry \
    -d "Fail when the credentials expire before the URL"
complete -c credkit -n "__fish_seen_subcommand_from presign" -l source -x \
    -a "imds env profile s3cfg auto" \
    -d "Where credentials come from"
complete -c credkit -n "__fish_seen_subcommand_from presign" -l profile -x -d "Profile for credentials and region"
complete -c credkit -n "__fish_seen_subcommand_from presign" -l region -x -d "Region to sign for"
complete -c credkit -n "__fish_seen_subcommand_from presign" -l endpoint-url -x -d "S3-compatible endpoint URL"
complete -c credkit -n "__fish_seen_subcommand_from presign" -l addressing-style -x -a "auto virtual path" \
    -d "Bucket in the host name or in the path"
complete -c credkit -n "__fish_seen_subcommand_from presign" -l botocore-compat \
    -d "Choose the host as botocore does"
complete -c credkit -n "__fish_seen_subcommand_from presign" -l response-content-type -x -d "Content-Type S3 sends back"
complete -c credkit -n "__fish_seen_subcommand_from presign" -l response-content-disposition -x \
    -d "Content-Disposition S3 sends back"
complete -c credkit -n "__fish_seen_subcommand_from presign" -l response-cache-control -x -d "Cache-Control S3 sends back"
complete -c credkit -n "__fish_seen_subcommand_from presign" -l response-content-encoding -x -d "Content-Encoding S3 sends back"
complete -c credkit -n "__fish_seen_subcommand_from presign" -l response-content-language -x -d "Content-Language S3 sends back"
complete -c credkit -n "__fish_seen_subcommand_from presign" -l response-expires -x -d "Expires header S3 sends back"
complete -c credkit -n "__fish_seen_subcommand_from presign" -l version-id -x -d "Version of the object"
complete -c credkit -n "__fish_seen_subcommand_from presign" -l imds-endpoint -x \
    -a "http://169.254.169.254 http://[fd00:ec2::254]" \
    -d "Metadata service URL"
complete -c credkit -n "__fish_seen_subcommand_from presign" -l imds-mode -x -a "ipv4 ipv6" \
    -d "Address family of the default endpoint"
complete -c credkit -n "__fish_seen_subcommand_from presign" -l imds-timeout -x \
    -d "Time allowed per attempt"
complete -c credkit -n "__fish_seen_subcommand_from presign" -l imds-attempts -x \
    -d "Tries per request"
complete -c credkit -n "__fish_seen_subcommand_from presign" -l imds-token-ttl -x \
    -d "Lifetime of the session token"
complete -c credkit -n "__fish_seen_subcommand_from presign" -l allow-imdsv1 \
    -d "Fall back to IMDSv1 when the token request fails"
complete -c credkit -n "__fish_seen_subcommand_from presign" -l role -x \
    -d "Instance role to use"

# credkit check-expiry
complete -c credkit -n "__fish_seen_subcommand_from check-expiry" -l url -x \
    -d "A presigned URL to check (repeatable)"
complete -c credkit -n "__fish_seen_subcommand_from check-expiry" -l file -r -F \
    -d "A credentials file, s3cfg or credential_process JSON to check (repeatable)"
complete -c credkit -n "__fish_seen_subcommand_from check-expiry" -l section -x \
    -d "Section of each --file to read"
complete -c credkit -n "__fish_seen_subcommand_from check-expiry" -l env \
    -d "Check AWS_CREDENTIAL_EXPIRATION (or AWS_SESSION_EXPIRATION)"
complete -c credkit -n "__fish_seen_subcommand_from check-expiry" -l imds \
    -d "Check the instance role's credentials from IMDS"
complete -c credkit -n "__fish_seen_subcommand_from check-expiry" -l source -x \
    -a "imds env profile s3cfg auto" \
    -d "Where credentials come from when no input is given"
complete -c credkit -n "__fish_seen_subcommand_from check-expiry" -l profile -x \
    -d "Profile for the auto, profile and s3cfg sources"
complete -c credkit -n "__fish_seen_subcommand_from check-expiry" -l warn -x \
    -d "WARNING when at most this long is left (default 30m)"
complete -c credkit -n "__fish_seen_subcommand_from check-expiry" -l crit -x \
    -d "CRITICAL when at most this long is left, or expired (default 5m)"
complete -c credkit -n "__fish_seen_subcommand_from check-expiry" -s f -l format -x \
    -a "text json nagios prometheus" -d "Output format"
complete -c credkit -n "__fish_seen_subcommand_from check-expiry" -l at -x \
    -d "Judge as of this RFC 3339 time"
complete -c credkit -n "__fish_seen_subcommand_from check-expiry" -l imds-endpoint -x \
    -a "http://169.254.169.254 http://[fd00:ec2::254]" \
    -d "Metadata service URL"
complete -c credkit -n "__fish_seen_subcommand_from check-expiry" -l imds-mode -x -a "ipv4 ipv6" \
    -d "Address family of the default endpoint"
complete -c credkit -n "__fish_seen_subcommand_from check-expiry" -l imds-timeout -x \
    -d "Time allowed per attempt"
complete -c credkit -n "__fish_seen_subcommand_from check-expiry" -l imds-attempts -x \
    -d "Tries per request"
complete -c credkit -n "__fish_seen_subcommand_from check-expiry" -l imds-token-ttl -x \
    -d "Lifetime of the session token"
complete -c credkit -n "__fish_seen_subcommand_from check-expiry" -l allow-imdsv1 \
    -d "Fall back to IMDSv1 when the token request fails"
complete -c credkit -n "__fish_seen_subcommand_from check-expiry" -l role -x \
    -d "Instance role to use"

# credkit diagnose
complete -c credkit -n "__fish_seen_subcommand_from diagnose" -l tool -x \
    -a "boto3 awscli htslib s3cmd" \
    -d "Tools to look at (repeatable or comma-separated)"
complete -c credkit -n "__fish_seen_subcommand_from diagnose" -l url -x \
    -d "The s3:// URL htslib will open"
complete -c credkit -n "__fish_seen_subcommand_from diagnose" -l profile -x \
    -d "As if the program named this profile"
complete -c credkit -n "__fish_seen_subcommand_from diagnose" -l probe \
    -d "Ask the metadata service even off EC2"
complete -c credkit -n "__fish_seen_subcommand_from diagnose" -l no-probe \
    -d "Contact no metadata service, run no credential_process"
complete -c credkit -n "__fish_seen_subcommand_from diagnose" -s f -l format -x -a "text json" \
    -d "Output format"
complete -c credkit -n "__fish_seen_subcommand_from diagnose" -l list-hazards \
    -d "Print every hazard code and exit"
complete -c credkit -n "__fish_seen_subcommand_from diagnose" -l imds-endpoint -x \
    -a "http://169.254.169.254 http://[fd00:ec2::254]" \
    -d "Metadata service URL"
complete -c credkit -n "__fish_seen_subcommand_from diagnose" -l imds-mode -x -a "ipv4 ipv6" \
    -d "Address family of the default endpoint"
complete -c credkit -n "__fish_seen_subcommand_from diagnose" -l imds-timeout -x \
    -d "Time allowed per attempt"

# credkit mock-imds
complete -c credkit -n "__fish_seen_subcommand_from mock-imds" -l listen -x \
    -a "127.0.0.1:0 [::1]:0" \
    -d "Loopback address to serve on"
complete -c credkit -n "__fish_seen_subcommand_from mock-imds" -l port-file -r -F \
    -d "Write the port to FILE once listening"
complete -c credkit -n "__fish_seen_subcommand_from mock-imds" -l role -x \
    -d "Instance role to serve"
complete -c credkit -n "__fish_seen_subcommand_from mock-imds" -l no-role -d "Attach no role"
complete -c credkit -n "__fish_seen_subcommand_from mock-imds" -l lifetime -x \
    -d "How long each set of credentials stays valid"
complete -c credkit -n "__fish_seen_subcommand_from mock-imds" -l rotate-every -x \
    -d "How often new credentials appear"
complete -c credkit -n "__fish_seen_subcommand_from mock-imds" -l seed -x \
    -d "Derive the keys from N"
complete -c credkit -n "__fish_seen_subcommand_from mock-imds" -l credentials-file -r -F \
    -d "Serve the keys in this JSON file"
complete -c credkit -n "__fish_seen_subcommand_from mock-imds" -l region -x \
    -d "Region the instance runs in"
complete -c credkit -n "__fish_seen_subcommand_from mock-imds" -l availability-zone -x \
    -d "Availability zone"
complete -c credkit -n "__fish_seen_subcommand_from mock-imds" -l instance-id -x -d "Instance id"
complete -c credkit -n "__fish_seen_subcommand_from mock-imds" -l account-id -x \
    -d "Account id in the identity document"
complete -c credkit -n "__fish_seen_subcommand_from mock-imds" -l allow-v1 \
    -d "Answer GETs that carry no token"
complete -c credkit -n "__fish_seen_subcommand_from mock-imds" -l fault -x \
    -a "status: delay: hang malformed-json expired drop-token-put no-role" \
    -d "Inject a fault, KIND[:ARG][@PATH][*TIMES]"
complete -c credkit -n "__fish_seen_subcommand_from mock-imds" -l clock-skew -x \
    -d "Run the instance clock ahead, or behind when negative"
