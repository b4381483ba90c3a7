# bash completion for fixorigin: commands, each command's options and the values of those
# that take a fixed set. Installed by `make install` (and the Debian package) as
# share/bash-completion/completions/fixorigin; tests/docs/check_completion.py keeps the
# option lists equal to each command's --help.

_fixorigin_options() {
    case $1 in
    fix)
        echo "--service --service-name --backend --apply --yes --activate= --json --emit
            --terraform --managed-by-terraform --plan-out --trust-presented-ca --ca-file
            --accept-cert-hostname --allow-downgrade --allow-dynamic-snippet --trust-bundle
            --token-file --state-dir --help -h" ;;
    apply)
        echo "--json --trust-bundle --token-file --state-dir --help -h" ;;
    probe)
        echo "--sni --cert-hostname --as-backend --ca-file --no-check-cert --min-tls --max-tls
            --ciphers --connect-timeout --no-tls --prefer-ipv6 --trust-bundle --hosts --json
            --targets --concurrency --expiry-warning --help -h" ;;
    show)
        echo "--service --service-name --version --json --token-file --help -h" ;;
    scan)
        echo "--all --service --services-file --shard --format --concurrency
            --probe-concurrency --ack --apply --only-safe --yes --max-apply --include-terraform
            --activate= --state-dir --trust-bundle --token-file --help -h" ;;
    serve)
        echo "--listen --max-body --max-per-ip --receive-timeout --max-receiving --workers
            --concurrency --grace --trust-bundle --state-dir --token-file
            --allow-http-response-url --include-terraform --help -h" ;;
    esac
}

_fixorigin() {
    local cur prev words cword
    if declare -F _init_completion >/dev/null 2>&1; then
        _init_completion -n = || return
    else
        cur=${COMP_WORDS[COMP_CWORD]}
        prev=${COMP_WORDS[COMP_CWORD - 1]}
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
    fi
    local commands="fix apply probe show scan serve help"
    # The command: the first word after fixorigin that is not an option; none is `fix`
    # (`fixorigin --service ID`).
    local command="" i
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
        -*) break ;;
        *) command=${words[i]}; break ;;
        esac
    done
    if [[ $cword -eq 1 && $cur != -* ]]; then
        COMPREPLY=($(compgen -W "$commands" -- "$cur"))
        return
    fi
    if [[ $command == help ]]; then
        COMPREPLY=($(compgen -W "${commands% help}" -- "$cur"))
        return
    fi
    [[ -z $command ]] && command=fix
    case $prev in
    --ca-file | --token-file | --trust-bundle | --plan-out | --targets | --hosts | \
        --services-file | --ack)
        COMPREPLY=($(compgen -f -- "$cur"))
        return ;;
    --state-dir)
        COMPREPLY=($(compgen -d -- "$cur"))
        return ;;
    --emit)
        COMPREPLY=($(compgen -W "terraform" -- "$cur"))
        return ;;
    --format)
        COMPREPLY=($(compgen -W "text json ndjson" -- "$cur"))
        return ;;
    --service)
        [[ -n ${FASTLY_SERVICE_ID:-} ]] && COMPREPLY=($(compgen -W "$FASTLY_SERVICE_ID" -- "$cur"))
        return ;;
    esac
    case $cur in
    --activate=*)
        COMPREPLY=($(compgen -W "auto none" -- "${cur#--activate=}"))
        return ;;
    -*)
        COMPREPLY=($(compgen -W "$(_fixorigin_options "$command")" -- "$cur"))
        [[ $command == fix && $cword -eq 1 ]] &&
            COMPREPLY+=($(compgen -W "--version" -- "$cur"))
        # --activate= takes its value in the same word
        [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]] && compopt -o nospace 2>/dev/null
        return ;;
    esac
    # apply FILE, probe HOST[:PORT]: files for the one, nothing to guess for the other.
    [[ $command == apply ]] && COMPREPLY=($(compgen -f -- "$cur"))
}

complete -F _fixorigin fixorigin
