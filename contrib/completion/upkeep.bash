# bash completion for upkeep(1)                          -*- shell-script -*-
#
# Installed as bash-completion's completions/upkeep; to try it by hand:
#   source contrib/completion/upkeep.bash
# Target names come from `upkeep --list-targets`, snapshot ids from
# `upkeep --list-snapshots` (both with the --config given on the command
# line; neither changes anything, unlike a batch command, which may first
# recover an interrupted job).
# Needs nothing from the bash-completion package.

# The batch commands and options; tests/integration/docs_drift.sh checks
# these lists against upkeep's own.
_upkeep_commands='run check adopt backup snapshots restore verify files pin unpin forget prune diff export repair install drill recover'
_upkeep_options='--config --batch --json --quiet --verbose --check-config --list-targets --list-snapshots --demo
	--note --to --force --read-data --all --yes --dry-run --current --output
	--rebuild-index --allow-downgrade --allow-moved-tag --force-drift --path --keep-preserved --ascii --no-color
	--help --version --list-crash-points'

# _upkeep_words : sets words and cword from COMP_WORDS and COMP_CWORD,
# joining the pieces bash splits "--opt=value" into (= is in
# COMP_WORDBREAKS) back into one word.
_upkeep_words()
{
	local i
	words=() cword=0
	for ((i = 0; i < ${#COMP_WORDS[@]}; i++)); do
		if [[ ${COMP_WORDS[i]} == = && ${#words[@]} -gt 0 && ${words[-1]} == --* ]]; then
			words[-1]+==
			((i <= COMP_CWORD)) && cword=$((${#words[@]} - 1))
			if ((i + 1 < ${#COMP_WORDS[@]})) && ((i + 1 <= COMP_CWORD)); then
				((i++))
				words[-1]+=${COMP_WORDS[i]}
			fi
			continue
		fi
		words+=("${COMP_WORDS[i]}")
		((i <= COMP_CWORD)) && cword=$((${#words[@]} - 1))
	done
}

# _upkeep_run ARG... : runs upkeep with the --config of the command line,
# errors discarded (nothing must be printed while completing).
_upkeep_run()
{
	local i prog=${words[0]} config=
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
			-c|--config) config=${words[i + 1]} ;;
			--config=*) config=${words[i]#--config=} ;;
		esac
	done
	[[ $config == '~/'* ]] && config=$HOME/${config#'~/'}
	[[ $prog == '~/'* ]] && prog=$HOME/${prog#'~/'}
	if [[ -n $config ]]; then
		LC_ALL=C "$prog" --config "$config" "$@" 2>/dev/null
	else
		LC_ALL=C "$prog" "$@" 2>/dev/null
	fi
}

_upkeep_targets()
{
	_upkeep_run --list-targets
}

# Snapshot ids of one target, or of every target when none is given.
_upkeep_snapshots()
{
	_upkeep_run --list-snapshots | awk -F '\t' -v t="$1" '(t == "" || $2 == t) && $1 ~ /^[0-9]+$/ { print $1 }'
}

_upkeep()
{
	local words cword
	_upkeep_words
	local cur=${words[cword]} prev=
	((cword > 0)) && prev=${words[cword - 1]}
	COMPREPLY=()

	# --opt=value: complete the value (bash completes after the =).
	if [[ $cur == --*=* ]]; then
		prev=${cur%%=*}
		cur=${cur#*=}
	fi
	case $prev in
		-c|--config|--output)
			compopt -o filenames 2>/dev/null
			COMPREPLY=($(compgen -f -- "$cur"))
			return 0 ;;
		--to|--demo)
			compopt -o filenames 2>/dev/null
			COMPREPLY=($(compgen -d -- "$cur"))
			return 0 ;;
		--note|--path)
			return 0 ;;
	esac

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$_upkeep_options -c -b -q -h -V" -- "$cur"))
		return 0
	fi

	# The words that are not options (nor option arguments) after --batch:
	# the command, then its arguments.
	local i w batch= args=()
	for ((i = 1; i < cword; i++)); do
		w=${words[i]}
		case $w in
			-b|--batch) batch=1 ;;
			-c|--config|--note|--to|--output|--demo|--path) ((i++)) ;;
			-*) ;;
			*) args+=("$w") ;;
		esac
	done
	[[ -z $batch ]] && return 0

	if ((${#args[@]} == 0)); then
		COMPREPLY=($(compgen -W "$_upkeep_commands" -- "$cur"))
		return 0
	fi
	local n=$((${#args[@]} - 1))   # arguments of the command so far
	case ${args[0]} in
		check)
			COMPREPLY=($(compgen -W "$(_upkeep_targets)" -- "$cur")) ;;
		adopt|backup|snapshots|install|prune|drill)
			((n == 0)) && COMPREPLY=($(compgen -W "$(_upkeep_targets)" -- "$cur")) ;;
		restore)
			if ((n == 0)); then
				COMPREPLY=($(compgen -W "$(_upkeep_targets)" -- "$cur"))
			elif ((n == 1)); then
				COMPREPLY=($(compgen -W "$(_upkeep_snapshots "${args[1]}")" -- "$cur"))
			fi ;;
		verify|files|pin|unpin|forget|export)
			((n == 0)) && COMPREPLY=($(compgen -W "$(_upkeep_snapshots)" -- "$cur")) ;;
		diff)
			((n <= 1)) && COMPREPLY=($(compgen -W "$(_upkeep_snapshots)" -- "$cur")) ;;
	esac
	return 0
}
complete -F _upkeep upkeep
