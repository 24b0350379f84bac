# Helpers of .ci/service-check and .ci/systemd-check (sourced, not run): each step printed with its time since
# the start, each outcome checked, a failure said with the output that shows it (and the script ended: its EXIT
# trap cleans up).  A script that uses expect_ok or expect_refused defines run_as ACCOUNT COMMAND, which runs
# COMMAND as ACCOUNT and sets OUT (its output and error) and RC (its status).

# -- saying what happens, with times -------------------------------------------------------------------------------
now() { local t=${EPOCHREALTIME/./}; echo $(( (t - START) / 100000 )); }   # tenths of a second since the start
tenths() { printf '%d.%d' $(($1 / 10)) $(($1 % 10)); }
START=${EPOCHREALTIME/./}
STEP=0 STEP_AT=0
say() { printf '%s\n' "$*"; }
step() { STEP=$((STEP + 1)); STEP_AT=$(now); printf '\n[%6s s] %d. %s\n' "$(tenths "$STEP_AT")" "$STEP" "$*"; }
ok() { printf '           ok  %s (%s s)\n' "$*" "$(tenths $(( $(now) - STEP_AT )))"; }
fail() {
    if [ "$STEP" = 0 ]; then printf '\nFAIL  %s\n' "$1" >&2; else printf '\nFAIL  step %d: %s\n' "$STEP" "$1" >&2; fi
    [ -z "${2:-}" ] || printf '%s\n' "$2" | sed 's/^/      | /' >&2
    exit 1
}

# -- what a command said --------------------------------------------------------------------------------------------
no_traceback() { case $OUT in *Traceback*) fail "$1: a traceback instead of a message" "$OUT" ;; esac; }
expect_ok() {   # DESCRIPTION ACCOUNT COMMAND
    local what=$1
    shift
    run_as "$@"
    [ "$RC" = 0 ] || fail "$what: '$2' as $1 ended with status $RC" "$OUT"
    no_traceback "$what"
}
expect_refused() {   # DESCRIPTION ACCOUNT COMMAND: refused with a message, no traceback
    local what=$1
    shift
    run_as "$@"
    [ "$RC" != 0 ] || fail "$what: '$2' as $1 was not refused" "$OUT"
    [ -n "$OUT" ] || fail "$what: refused without a word"
    no_traceback "$what"
}
has() { case $OUT in *"$2"*) ;; *) fail "$1: '$2' not in the output" "$OUT" ;; esac; }
lacks() { case $OUT in *"$2"*) fail "$1: '$2' in the output" "$OUT" ;; esac; }
first_line() { printf '%s' "${OUT%%$'\n'*}"; }
json() {   # EXPRESSION: of the JSON in OUT, bound to d
    /usr/bin/python3 -c "import json, sys; d = json.load(sys.stdin); print($1)" <<<"$OUT" || fail "JSON: $1" "$OUT"
}

# -- the checkout, the audit sink -----------------------------------------------------------------------------------
checkout_tar() {   # REPO: its files as a tar stream on standard output, without git's, virtual environments, builds
    tar -C "$1" --exclude=./.git --exclude=./.venv --exclude=./build --exclude='*.egg-info' --exclude=__pycache__ \
        --exclude=.pytest_cache --exclude=.hypothesis -cf - .
}
audit_has() {   # SINK ACCOUNT UID ACTION NAME-OR-TARGET: whether SINK (the audit sink's lines) has an entry by
    # ACCOUNT, for the caller the kernel gave (UID), of ACTION, that mentions NAME-OR-TARGET
    /usr/bin/python3 - "$@" <<'END'
import json, sys
sink, account, uid, action, what = sys.argv[1:]
lines = [json.loads(line) for line in open(sink, encoding="utf-8")]
found = [line for line in lines if line["entry"].get("by") == account and line["entry"].get("action") == action
         and (what in json.dumps(line["entry"], ensure_ascii=False)) and line["peer_uid"] == int(uid)]
sys.exit(0 if found else 1)
END
}
