#!/usr/bin/env bash
# Lint what runs outside Python: shellcheck on every shell script, and
# `systemd-analyze verify` on every systemd unit in systemd/. Run by .ci/run.
#
# A unit names its executable by absolute path (/opt/station/current/.venv/bin/station),
# which exists only on a provisioned station, so each unit is verified against a temporary
# root holding the system's own units, ours in /etc/systemd/system, and a stub executable
# at every ExecStart path.
set -euo pipefail
cd "$(dirname "$0")/.."

status=0
mapfile -t scripts < <(find . \( -path ./.venv -o -path ./.git \) -prune -o -type f \( -name '*.sh' -o -path ./.ci/run \) -print | sort)
echo "shellcheck: ${scripts[*]}"
shellcheck "${scripts[@]}" || status=1

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/etc/systemd/system" "$root/usr/lib/systemd"
cp -a /usr/lib/systemd/system "$root/usr/lib/systemd/"
shopt -s nullglob
units=(systemd/*.service systemd/*.timer systemd/*.socket systemd/*.path)
shopt -u nullglob
cp "${units[@]}" "$root/etc/systemd/system/"
# a stub at every ExecStart*/ExecStop* path (the unit's own check: "is not executable")
while read -r exe; do
    mkdir -p "$root$(dirname "$exe")"
    printf '#!/bin/sh\nexit 0\n' > "$root$exe"
    chmod +x "$root$exe"
done < <(sed -n 's/^Exec[A-Za-z]*=[-@:+!]*\(\/[^ ]*\).*/\1/p' "${units[@]}" | sort -u)
for unit in "${units[@]}"; do
    name=$(basename "$unit")
    if out=$(systemd-analyze verify --root="$root" --man=no "/etc/systemd/system/$name" 2>&1) && [ -z "$out" ]; then
        echo "systemd-analyze verify $name: OK"
    else
        echo "systemd-analyze verify $name: FAILED"
        printf '%s\n' "$out"
        status=1
    fi
done
exit "$status"
