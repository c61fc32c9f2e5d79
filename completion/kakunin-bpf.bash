# SPDX-License-Identifier: GPL-2.0-only
# bash completion for kakunin-bpf(8): commands, each command's options, files for certificates,
# policies, CA bundles, CRLs and the daemon's configuration, directories for --cgroup (cgroup v2
# directories, under /sys/fs/cgroup when nothing is typed yet), process ids for --pid, and the
# command after `run --`. Installed as share/bash-completion/completions/kakunin-bpf.
# Keep the lists below in step with `kakunin-bpf COMMAND --help` (tests/cli/packaging.bats).

_kakunin_bpf_commands="load unload bind run unbind revoke rotate status health events policy daemon audit signer sign egress verify oci-hook"

# The options of one command (for `policy` and `audit`, of their subcommands).
_kakunin_bpf_opts() {
	case $1 in
	load) echo "--upgrade --ringbuf-size --path-cache --json --help" ;;
	unload) echo "--force --json --help" ;;
	bind) echo "--pid --tree --cgroup --cert --policy --ca --region --offline --replace --watch --json --help" ;;
	run) echo "--cert --policy --ca --region --offline --keep-fds --json --help --" ;;
	unbind) echo "--pid --cgroup --serial --json --help" ;;
	revoke) echo "--serial --issuer --reason --no-stop --kill --crl --ca --json --help" ;;
	rotate) echo "--serial --cert --watch --ca --issuer --grace --json --help" ;;
	status) echo "--json --format --help" ;;
	health) echo "--json --no-daemon --config --socket --timeout --help" ;;
	events) echo "--follow --json --text --agent --type --socket --from-ring --help" ;;
	policy) echo "--resolve --offline --json --help" ;;
	daemon) echo "--config --help" ;;
	signer) echo "--config --socket --help" ;;
	egress) echo "--config --help" ;;
	sign) echo "--type --socket --raw --json --help" ;;
	audit) echo "--any-start --anchor --json --help" ;;
	verify) echo "--ca --ocsp --crl --max-age --replay-db --json --help" ;;
	oci-hook) echo "--config --ca --policy-dir --cert-dir --add-to --stage --hook-path --help" ;;
	esac
}

# Fill COMPREPLY with the words of $1 that start with $2.
_kakunin_bpf_words() {
	COMPREPLY=($(compgen -W "$1" -- "$2"))
}

# Files (-f) or directories (-d) that start with $2, shown as file names.
_kakunin_bpf_paths() {
	local IFS=$'\n'
	compopt -o filenames 2>/dev/null
	COMPREPLY=($(compgen "$1" -- "$2"))
}

# Process ids (from /proc) that start with $1.
_kakunin_bpf_pids() {
	local p pids=""
	for p in /proc/[0-9]*; do
		pids+="${p#/proc/} "
	done
	_kakunin_bpf_words "$pids" "$1"
}

_kakunin_bpf() {
	local cur prev cmd="" sub="" i w dashdash=0
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}

	# The command: the first word after the global options.
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [ -z "$cmd" ]; then
			case $w in
			-v | --verbose) ;;
			-*) return 0 ;; # --help, --version: nothing follows
			*) cmd=$w ;;
			esac
		elif [ "$w" = -- ] && [ "$cmd" = run ]; then
			dashdash=$i
			break
		elif [ -z "$sub" ] && { [ "$cmd" = policy ] || [ "$cmd" = audit ]; }; then
			case $w in -*) ;; *) sub=$w ;; esac
		fi
	done

	if [ -z "$cmd" ]; then
		case $cur in
		-*) _kakunin_bpf_words "-v --verbose --help --version" "$cur" ;;
		*) _kakunin_bpf_words "$_kakunin_bpf_commands" "$cur" ;;
		esac
		return 0
	fi

	# run ... -- CMD [ARG...]: complete CMD and its arguments as a command line of their own.
	if [ "$dashdash" -gt 0 ]; then
		if declare -F _command_offset >/dev/null; then
			_command_offset $((dashdash + 1))
		elif [ "$COMP_CWORD" -eq $((dashdash + 1)) ]; then
			local IFS=$'\n'
			COMPREPLY=($(compgen -c -- "$cur" | sort -u))
		else
			_kakunin_bpf_paths -f "$cur"
		fi
		return 0
	fi

	# The value of the option before the cursor.
	case $prev in
	--cert | --policy | --ca | --crl | --config | --issuer | --socket | --watch | --add-to | \
		--hook-path)
		_kakunin_bpf_paths -f "$cur"
		return 0
		;;
	--cgroup)
		_kakunin_bpf_paths -d "${cur:-/sys/fs/cgroup/}"
		return 0
		;;
	--pid)
		_kakunin_bpf_pids "$cur"
		return 0
		;;
	--type)
		# sign --type: an action type of the policy's "actions" section, free text.
		[ "$cmd" = sign ] && return 0
		_kakunin_bpf_words "action.signed action.refused action.connected action action.* action.allowed action.denied action.audited agent.*
			agent.bound agent.unbound agent.revoked agent.blocked agent.warning agent.expiring
			agent.expired events.lost" "$cur"
		return 0
		;;
	--path-cache)
		_kakunin_bpf_words "on off shadow" "$cur"
		return 0
		;;
	--ringbuf-size)
		_kakunin_bpf_words "65536 262144 1048576 4194304 16777216 67108864" "$cur"
		return 0
		;;
	--format)
		_kakunin_bpf_words "text json prometheus" "$cur"
		return 0
		;;
	--replay-db)
		_kakunin_bpf_paths -f "$cur"
		return 0
		;;
	--stage)
		_kakunin_bpf_words "createRuntime prestart" "$cur"
		return 0
		;;
	--policy-dir | --cert-dir)
		_kakunin_bpf_paths -d "$cur"
		return 0
		;;
	--serial | --reason | --region | --agent | --grace | --timeout | --max-age)
		return 0 # free text: nothing to offer
		;;
	esac

	# policy and audit take a subcommand first.
	if [ -z "$sub" ] && [[ $cur != -* ]]; then
		case $cmd in
		policy)
			_kakunin_bpf_words "check show" "$cur"
			return 0
			;;
		audit)
			_kakunin_bpf_words "verify" "$cur"
			return 0
			;;
		esac
	fi

	if [[ $cur == -* ]]; then
		local opts
		opts=$(_kakunin_bpf_opts "$cmd")
		[ "$cmd" = policy ] && [ "$sub" = check ] && opts="--resolve --offline --json --help"
		_kakunin_bpf_words "$opts" "$cur"
		return 0
	fi

	# Positional FILE arguments: policies (policy check|show), audit files (audit verify).
	case $cmd in
	policy | audit) _kakunin_bpf_paths -f "$cur" ;;
	esac
	return 0
}

complete -F _kakunin_bpf kakunin-bpf
