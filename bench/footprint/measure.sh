#!/usr/bin/env bash
# Clean release build time, crates compiled and stripped binary size of the
# same "migrate PostgreSQL at startup" app, built with this library
# (postgres feature only) and with sqlx's `migrate!`, alternately in one run.
#   bench/footprint/measure.sh [rounds]      (default 1; ~4 min per round on 2 cores)
set -euo pipefail
cd "$(dirname "$0")"
rounds="${1:-1}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for app in ours sqlx; do (cd "$app" && cargo fetch -q); done

build() {
    local app="$1" target="$work/$1-target" log="$work/$1.log" start end
    rm -rf "$target"
    start=$(date +%s.%N)
    (cd "$app" && CARGO_TARGET_DIR="$target" cargo build --release 2>"$log")
    end=$(date +%s.%N)
    strip -o "$work/$app.bin" "$target/release/footprint-$app"
    printf '%s %.1f %d %d\n' "$app" "$(echo "$end - $start" | bc)" \
        "$(grep -c '^ *Compiling' "$log")" "$(stat -c %s "$work/$app.bin")"
}

echo "app seconds crates bytes"
for _ in $(seq "$rounds"); do
    build ours
    build sqlx
done | tee "$work/results"
awk '
    { secs[$1] += $2; crates[$1] = $3; bytes[$1] = $4; n[$1]++ }
    END {
        printf "\n| | ours (postgres) | sqlx migrate! (postgres) | ratio |\n|---|---|---|---|\n"
        printf "| clean release build | %.1f s | %.1f s | %.2fx |\n", secs["ours"]/n["ours"], secs["sqlx"]/n["sqlx"], (secs["ours"]/n["ours"])/(secs["sqlx"]/n["sqlx"])
        printf "| crates compiled | %d | %d | %.2fx |\n", crates["ours"], crates["sqlx"], crates["ours"]/crates["sqlx"]
        printf "| binary (stripped) | %.2f MB | %.2f MB | %.2fx |\n", bytes["ours"]/1e6, bytes["sqlx"]/1e6, bytes["ours"]/bytes["sqlx"]
    }' "$work/results"
