#!/usr/bin/env bash
# Clean release build time, crates compiled and stripped binary size of the
# same "migrate PostgreSQL at startup" app, built with this library
# (postgres feature only), with sqlx's `migrate!`, and with this library plus
# the embedded command line (`app migrate ...`, migrata-cli with
# `default-features = false, features = ["postgres"]`), alternately in one
# run; `--lint` adds a fourth build: the CLI app with migrata-cli's `lint`.
#   bench/footprint/measure.sh [--lint] [rounds]   (default 1; ~6 min per round on 2 cores)
set -euo pipefail
cd "$(dirname "$0")"
lint=false
if [ "${1:-}" = "--lint" ]; then lint=true; shift; fi
rounds="${1:-1}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for app in ours sqlx ours-cli; do (cd "$app" && cargo fetch -q); done

# build NAME DIR [cargo build arguments]
build() {
    local name="$1" dir="$2" target="$work/$1-target" log="$work/$1.log" start end
    shift 2
    rm -rf "$target"
    start=$(date +%s.%N)
    (cd "$dir" && CARGO_TARGET_DIR="$target" cargo build --release "$@" 2>"$log")
    end=$(date +%s.%N)
    strip -o "$work/$name.bin" "$target/release/footprint-$dir"
    printf '%s %.1f %d %d\n' "$name" "$(echo "$end - $start" | bc)" \
        "$(grep -c '^ *Compiling' "$log")" "$(stat -c %s "$work/$name.bin")"
}

echo "app seconds crates bytes"
for _ in $(seq "$rounds"); do
    build ours ours
    build sqlx sqlx
    build ours-cli ours-cli
    if $lint; then build ours-cli+lint ours-cli --features migrata-cli/lint; fi
done | tee "$work/results"
awk '
    { secs[$1] += $2; crates[$1] = $3; bytes[$1] = $4; n[$1]++ }
    function s(app) { return secs[app] / n[app] }
    END {
        printf "\n| | ours (postgres) | sqlx migrate! (postgres) | ratio |\n|---|---|---|---|\n"
        printf "| clean release build | %.1f s | %.1f s | %.2fx |\n", s("ours"), s("sqlx"), s("ours")/s("sqlx")
        printf "| crates compiled | %d | %d | %.2fx |\n", crates["ours"], crates["sqlx"], crates["ours"]/crates["sqlx"]
        printf "| binary (stripped) | %.2f MB | %.2f MB | %.2fx |\n", bytes["ours"]/1e6, bytes["sqlx"]/1e6, bytes["ours"]/bytes["sqlx"]
        printf "\n| | ours | with the CLI | ratio | added |\n|---|---|---|---|---|\n"
        for (app in n) if (app ~ /^ours-cli/) {
            printf "| %s: clean release build | %.1f s | %.1f s | %.2fx | %+.1f s |\n", app, s("ours"), s(app), s(app)/s("ours"), s(app)-s("ours")
            printf "| %s: crates compiled | %d | %d | %.2fx | %+d |\n", app, crates["ours"], crates[app], crates[app]/crates["ours"], crates[app]-crates["ours"]
            printf "| %s: binary (stripped) | %.2f MB | %.2f MB | %.2fx | %+.2f MB |\n", app, bytes["ours"]/1e6, bytes[app]/1e6, bytes[app]/bytes["ours"], (bytes[app]-bytes["ours"])/1e6
        }
    }' "$work/results"
