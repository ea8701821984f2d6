# bash completion for credkit(1).
# Installed into bash-completion's completions directory; it can also be sourced directly.
# The options listed here must match `credkit [COMMAND] --help`; tests/e2e/test_docs_agree.py
# checks that they do.

_credkit_global_options="-h --help --version -v --verbose -q --quiet --config"
# Global options that credkit also accepts after the command name.
_credkit_common_options="-v --verbose -q --quiet --config"
_credkit_imds_options="--imds-endpoint --imds-mode --imds-timeout --imds-attempts
    --imds-token-ttl --allow-imdsv1 --role"

# Prints the options of one command, one a line.
_credkit_command_options() {
    case $1 in
        fetch-creds)
            echo "-h --help -f --format -o --output --mode --profile --metadata"
            echo "$_credkit_imds_options $_credkit_common_options"
            ;;
        write-s3cfg)
            echo "-h --help -o --output --section --host-base --host-bucket --bucket-location"
            echo "--mode --owner --also-credentials-file --credentials-profile --source --profile"
            echo "--json --check --watch --refresh-margin --max-interval"
            echo "$_credkit_imds_options $_credkit_common_options"
            ;;
        presign)
            echo "-h --help -i --input --bucket -f --format --expires --method --content-type"
            echo "--at --strict-expiry --source --profile --region --endpoint-url"
            echo "--addressing-style --botocore-compat --response-content-type"
            echo "--response-content-disposition --response-cache-control"
            echo "--response-content-encoding --response-content-language --response-expires"
            echo "--version-id $_credkit_imds_options $_credkit_common_options"
            ;;
        check-expiry)
            echo "-h --help --url --file --section --env --imds --source --profile --warn --crit"
            echo "-f --format --at $_credkit_imds_options $_credkit_common_options"
            ;;
        diagnose)
            echo "-h --help --tool --url --profile --probe --no-probe -f --format --list-hazards"
            echo "--imds-endpoint --imds-mode --imds-timeout $_credkit_common_options"
            ;;
        mock-imds)
            echo "-h --help --listen --port-file --role --no-role --lifetime --rotate-every"
            echo "--seed --credentials-file --region --availability-zone --instance-id"
            echo "--account-id --allow-v1 --fault --clock-skew $_credkit_common_options"
            ;;
        *)
            echo "$_credkit_global_options"
            ;;
    esac
}

# True when the option takes a value, so that the next word is not an option or a command.
_credkit_takes_value() {
    case $1 in
        --config | -f | --format | -o | --output | --mode | --profile | --imds-endpoint | \
            --imds-mode | --imds-timeout | --imds-attempts | --imds-token-ttl | --role | \
            --listen | --port-file | --lifetime | --rotate-every | --seed | --region | \
            --availability-zone | --instance-id | --account-id | --fault | --credentials-file | \
            --clock-skew)
            return 0
            ;;
        --section | --host-base | --host-bucket | --bucket-location | --owner | \
            --also-credentials-file | --credentials-profile | --source | --refresh-margin | \
            --max-interval)
            return 0
            ;;
        -i | --input | --bucket | --expires | --method | --content-type | --at | --endpoint-url | \
            --addressing-style | --response-content-type | --response-content-disposition | \
            --response-cache-control | --response-content-encoding | \
            --response-content-language | --response-expires | --version-id)
            return 0
            ;;
        --url | --file | --warn | --crit | --tool)
            return 0
            ;;
    esac
    return 1
}

# Sets COMPREPLY to the words of $1 that start with $2, each prefixed with $3.
_credkit_reply() {
    local word
    COMPREPLY=()
    for word in $1; do
        if [[ $word == "$2"* ]]; then
            COMPREPLY+=("$3$word")
        fi
    done
}

_credkit() {
    local cur=${COMP_WORDS[COMP_CWORD]}
    local prev=""
    local prefix=""
    local i word command=""

    # "--format=js" arrives as "--format" "=" "js" when '=' breaks words, and whole otherwise.
    if [[ $cur == "=" ]]; then
        prev=${COMP_WORDS[COMP_CWORD - 1]}
        cur=""
    elif ((COMP_CWORD >= 2)) && [[ ${COMP_WORDS[COMP_CWORD - 1]} == "=" ]]; then
        prev=${COMP_WORDS[COMP_CWORD - 2]}
    elif [[ $cur == --*=* ]]; then
        prev=${cur%%=*}
        prefix="$prev="
        cur=${cur#*=}
    elif ((COMP_CWORD >= 1)); then
        prev=${COMP_WORDS[COMP_CWORD - 1]}
    fi

    # The command is the first word that is neither an option nor an option's value.
    for ((i = 1; i < COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]}
        if [[ $word == -* ]]; then
            if [[ $word != *=* ]] && _credkit_takes_value "$word"; then
                [[ ${COMP_WORDS[i + 1]} == "=" ]] && i=$((i + 1))
                i=$((i + 1))
            fi
        elif [[ $word != "=" ]]; then
            command=$word
            break
        fi
    done

    case $prev in
        --config | -o | --output | --port-file | --credentials-file | --also-credentials-file | \
            -i | --input | --file)
            compopt -o filenames 2>/dev/null
            local IFS=$'\n'
            COMPREPLY=($(compgen -f -- "$cur"))
            [[ -n $prefix ]] && COMPREPLY=("${COMPREPLY[@]/#/$prefix}")
            return 0
            ;;
        -f | --format)
            if [[ $command == presign ]]; then
                _credkit_reply "url tsv json" "$cur" "$prefix"
            elif [[ $command == check-expiry ]]; then
                _credkit_reply "text json nagios prometheus" "$cur" "$prefix"
            elif [[ $command == diagnose ]]; then
                _credkit_reply "text json" "$cur" "$prefix"
            else
                _credkit_reply "json credential-process env fish ini s3cfg" "$cur" "$prefix"
            fi
            return 0
            ;;
        --method)
            _credkit_reply "GET PUT HEAD DELETE" "$cur" "$prefix"
            return 0
            ;;
        --tool)
            # A comma-separated list: complete the tool after the last comma.
            local done=""
            [[ $cur == *,* ]] && done=${cur%,*},
            _credkit_reply "boto3 awscli htslib s3cmd" "${cur##*,}" "$prefix$done"
            return 0
            ;;
        --addressing-style)
            _credkit_reply "auto virtual path" "$cur" "$prefix"
            return 0
            ;;
        --imds-mode)
            _credkit_reply "ipv4 ipv6" "$cur" "$prefix"
            return 0
            ;;
        --source)
            _credkit_reply "imds env profile s3cfg auto" "$cur" "$prefix"
            return 0
            ;;
        --mode)
            _credkit_reply "0600 0640 0644" "$cur" "$prefix"
            return 0
            ;;
        --fault)
            _credkit_reply "status: delay: hang malformed-json expired drop-token-put no-role" \
                "$cur" "$prefix"
            [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *: ]] && compopt -o nospace 2>/dev/null
            return 0
            ;;
    esac
    if _credkit_takes_value "$prev"; then
        COMPREPLY=()  # a value nobody can guess: a URL, a name, a duration
        return 0
    fi

    if [[ -z $command && $cur != -* ]]; then
        _credkit_reply "fetch-creds write-s3cfg presign check-expiry diagnose mock-imds" "$cur" ""
        return 0
    fi
    _credkit_reply "$(_credkit_command_options "$command")" "$cur" ""
}

complete -F _credkit credkit
