#!/usr/bin/env bash
# Provision, update and roll back a mirror station on Raspberry Pi OS Bookworm (64-bit).
#
#   sudo bash hardware/provision.sh install [TAG]   # a fresh Pi (safe to run again)
#   sudo bash hardware/provision.sh update TAG      # switch to release TAG; back on failure
#   sudo bash hardware/provision.sh rollback        # back to the previous release
#   sudo bash hardware/provision.sh status
#
# Layout:
#   /opt/station/repo              a clone of this repository (where releases come from)
#   /opt/station/releases/NAME     one release (a tag, or a commit): its files and its .venv
#   /opt/station/current           -> releases/NAME, what the service runs
#   /opt/station/previous          -> the release before it (kept for rollback)
#   /opt/station/python            the uv-managed CPython 3.12 (see below)
#   /usr/local/bin/station         -> /opt/station/current/.venv/bin/station (on the PATH)
#   /opt/station/.venv             -> current/.venv (for units that name /opt/station/.venv)
#   /etc/station/station.toml      the station's configuration (installed only if absent)
#   /var/lib/station               state (usage log, calibration, recordings), user station
#
# Python: Bookworm's python3 is 3.11, and pyrealsense2 publishes aarch64 wheels only for
# CPython 3.9, 3.10 and 3.12 (scripts/check_aarch64_wheels.py, hardware/aarch64-wheels.txt).
# A source build of librealsense (FORCE_RSUSB_BACKEND) takes an hour on a Pi and must be
# rebuilt for every SDK update; instead uv (from PyPI) installs a standalone CPython 3.12,
# for which every dependency has an aarch64 wheel. STATION_PYTHON=/path/to/python overrides
# it (it must be one pyrealsense2 has wheels for on this machine; scripts/setup.sh checks).
#
# An update builds the new release beside the running one, switches /opt/station/current,
# restarts the service and waits until it reports ready (Type=notify); if it does not, the
# previous release is switched back and restarted. The previous release's environment is
# removed only once a newer one has started.
set -euo pipefail

PREFIX=${STATION_PREFIX:-/opt/station}
ETC=${STATION_ETC:-/etc/station}
STATE=/var/lib/station
CACHE=/var/cache/station
SERVICE=station.service
UV_VERSION=0.13.8
PYTHON_VERSION=3.12
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GROUPS_WANTED=(video render input plugdev audio)
APT_PACKAGES=(git ca-certificates libusb-1.0-0 python3 python3-venv udev systemd-timesyncd espeak-ng
              libdrm2 libgbm1 libegl1 libgles2 fonts-dejavu-core)

say() { printf 'provision: %s\n' "$*"; }
# root works on checkouts owned by someone else (git refuses those by default)
g() { git -c safe.directory='*' "$@"; }
die() { printf 'provision: error: %s\n' "$*" >&2; exit 1; }

systemd_running() { [ -d /run/systemd/system ]; }

need_root() {
    [ "$(id -u)" -eq 0 ] || die "run as root: sudo bash $0 $*"
}

check_os() {
    local arch
    arch=$(dpkg --print-architecture 2>/dev/null || uname -m)
    if [ -r /etc/os-release ]; then
        # shellcheck disable=SC1091
        . /etc/os-release
        [ "${VERSION_CODENAME:-}" = bookworm ] ||
            say "warning: made for Bookworm, this is ${PRETTY_NAME:-unknown}; going on"
    fi
    [ "$arch" = arm64 ] || say "warning: made for a 64-bit Pi (arm64), this is $arch; going on"
}

# ---------------------------------------------------------------- system

install_packages() {
    local missing=() p
    for p in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        say "system packages: all present"
        return
    fi
    say "system packages: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

setup_time() {
    # Usage summaries are by hour of day: the clock must be right (the Pi has no RTC battery).
    if systemd_running; then
        timedatectl set-ntp true || say "warning: could not enable NTP (timedatectl)"
        systemctl enable --now systemd-timesyncd.service >/dev/null 2>&1 ||
            say "warning: systemd-timesyncd did not start"
    else
        systemctl enable systemd-timesyncd.service >/dev/null 2>&1 || true
        say "time: systemd is not running here (chroot?): systemd-timesyncd enabled for the next boot"
    fi
}

setup_user() {
    local g
    for g in "${GROUPS_WANTED[@]}"; do
        getent group "$g" >/dev/null || groupadd --system "$g"
    done
    if ! id station >/dev/null 2>&1; then
        say "user: creating station"
        useradd --system --user-group --home-dir "$STATE" --no-create-home \
                --shell /usr/sbin/nologin station
    fi
    usermod -a -G "$(IFS=,; echo "${GROUPS_WANTED[*]}")" station
    install -d -m 0755 -o station -g station "$STATE" "$STATE/recordings" "$STATE/summaries" \
        "$CACHE" "$CACHE/numba"
    say "user: station in groups $(id -nG station | tr ' ' ',')"
}

install_udev() {
    local rules=/etc/udev/rules.d/99-realsense-libusb.rules
    if ! cmp -s "$SRC/hardware/99-realsense-libusb.rules" "$rules"; then
        install -D -m 0644 "$SRC/hardware/99-realsense-libusb.rules" "$rules"
        say "udev: installed $rules"
    fi
    if systemd_running; then
        { udevadm control --reload && udevadm trigger --subsystem-match=usb; } ||
            say "warning: udev did not reload the rules (replug the camera)"
    fi
}

install_config() {
    install -d -m 0755 "$ETC"
    if [ -e "$ETC/station.toml" ]; then
        say "config: $ETC/station.toml exists, left as it is"
    else
        install -m 0644 "$SRC/config/station.toml" "$ETC/station.toml"
        say "config: installed $ETC/station.toml (edit it, then: station config check)"
    fi
}

# ---------------------------------------------------------------- python

find_python() {
    if [ -n "${STATION_PYTHON:-}" ]; then
        PY=$STATION_PYTHON
        say "python: $PY (STATION_PYTHON)"
        return
    fi
    local tools="$PREFIX/tools"
    if [ ! -x "$tools/bin/uv" ] || [ "$("$tools/bin/uv" --version | cut -d' ' -f2)" != "$UV_VERSION" ]; then
        say "python: installing uv $UV_VERSION (from PyPI) into $tools"
        [ -x "$tools/bin/python" ] || python3 -m venv "$tools"
        "$tools/bin/python" -m pip install -q --disable-pip-version-check "uv==$UV_VERSION"
    fi
    export UV_PYTHON_INSTALL_DIR="$PREFIX/python" UV_PYTHON_PREFERENCE=only-managed
    if ! PY=$("$tools/bin/uv" python find "$PYTHON_VERSION" 2>/dev/null); then
        say "python: installing CPython $PYTHON_VERSION with uv into $UV_PYTHON_INSTALL_DIR"
        "$tools/bin/uv" python install "$PYTHON_VERSION"
        PY=$("$tools/bin/uv" python find "$PYTHON_VERSION")
    fi
    say "python: $PY ($("$PY" --version 2>&1))"
}

# ---------------------------------------------------------------- releases

sync_repo() {
    # origin: where this checkout came from (the project's repository), else the checkout
    local url
    url=$(g -C "$SRC" remote get-url origin 2>/dev/null || echo "$SRC")
    if [ ! -d "$PREFIX/repo/.git" ]; then
        say "repository: cloning $SRC into $PREFIX/repo"
        g clone -q "$SRC" "$PREFIX/repo"
        g -C "$PREFIX/repo" remote set-url origin "$url"
    fi
    g -C "$PREFIX/repo" fetch -q --tags origin 2>/dev/null || say "warning: cannot fetch from $url"
    # releases tagged in this checkout but not pushed yet are found too
    g -C "$PREFIX/repo" fetch -q --tags --force "$SRC" '+refs/heads/*:refs/remotes/checkout/*' 2>/dev/null ||
        say "warning: cannot fetch from $SRC"
}

resolve() {   # resolve REF -> NAME (the tag, or a short commit) and COMMIT
    local ref=$1
    COMMIT=$(g -C "$PREFIX/repo" rev-parse --verify -q "$ref^{commit}" ||
             g -C "$PREFIX/repo" rev-parse --verify -q "origin/$ref^{commit}") ||
        die "no release '$ref' in $PREFIX/repo (git tag -l lists the releases)"
    if g -C "$PREFIX/repo" rev-parse -q --verify "refs/tags/$ref" >/dev/null; then
        NAME=$ref
    else
        NAME=$(g -C "$PREFIX/repo" rev-parse --short "$COMMIT")
    fi
    case $NAME in */*|.*|"") die "unusable release name '$NAME'" ;; esac
}

build_release() {   # build_release NAME COMMIT: files and .venv in releases/NAME, once
    local dir="$PREFIX/releases/$1"
    if [ -f "$dir/.complete" ]; then
        say "release $1: already built"
        return
    fi
    rm -rf "$dir"          # a build that was interrupted
    install -d "$dir"
    g -C "$PREFIX/repo" archive "$2" | tar -x -C "$dir"
    say "release $1: creating its environment (this takes a few minutes)"
    # The venv is made in place: its scripts hold absolute paths, so it is never moved.
    if ! PYTHON=$PY SETUP_EXTRAS="" bash "$dir/scripts/setup.sh"; then
        rm -rf "$dir"
        die "release $1: its environment could not be built; still running $(release_of current)"
    fi
    "$dir/.venv/bin/station" --help >/dev/null
    PYGAME_HIDE_SUPPORT_PROMPT=1 "$dir/.venv/bin/python" -c "import pyrealsense2, numba, pygame" ||
        die "release $1: its environment cannot import pyrealsense2/numba/pygame"
    warm_kernels "$1"
    echo "$2" > "$dir/.complete"
    say "release $1: ready"
}

warm_kernels() {   # warm_kernels NAME: compile the release's kernels into the service's cache
    # now, as the service's user, so the first lifter after this release starts is tracked at
    # once instead of after the kernels compile (minutes on a Pi); a failure only costs that wait
    say "release $1: compiling its kernels into $CACHE/numba (a few minutes on a Pi)"
    if ! runuser -u station -- env NUMBA_CACHE_DIR="$CACHE/numba" SDL_VIDEODRIVER=dummy \
            SDL_AUDIODRIVER=dummy PYGAME_HIDE_SUPPORT_PROMPT=1 \
            "$PREFIX/releases/$1/.venv/bin/station" warm-up; then
        say "warning: release $1: the warm-up failed; its kernels compile when the station first needs them"
    fi
}

link() {   # link TARGET NAME: atomically point $PREFIX/NAME at TARGET
    ln -sfn "$1" "$PREFIX/.$2.new"
    mv -T "$PREFIX/.$2.new" "$PREFIX/$2"
}

release_of() { basename "$(readlink "$PREFIX/$1" 2>/dev/null || echo none)"; }

install_units() {
    local unit changed=0
    for unit in "$PREFIX"/current/systemd/*.service "$PREFIX"/current/systemd/*.timer; do
        [ -e "$unit" ] || continue
        if ! cmp -s "$unit" "/etc/systemd/system/$(basename "$unit")"; then
            install -m 0644 "$unit" /etc/systemd/system/
            changed=1
        fi
    done
    systemd_running && [ "$changed" -eq 1 ] && systemctl daemon-reload
    systemctl enable "$SERVICE" >/dev/null 2>&1 || say "warning: could not enable $SERVICE"
    for unit in "$PREFIX"/current/systemd/*.timer; do
        [ -e "$unit" ] || continue
        if systemd_running; then
            systemctl enable --now "$(basename "$unit")" >/dev/null
        else
            systemctl enable "$(basename "$unit")" >/dev/null 2>&1 || true
        fi
    done
    # The unit is wanted by graphical.target: boot into it, with no desktop holding the display.
    systemctl set-default graphical.target >/dev/null 2>&1 || true
    local dm
    for dm in lightdm.service gdm3.service; do
        if systemctl is-enabled "$dm" >/dev/null 2>&1; then
            say "display: disabling $dm (the station draws with KMS/DRM; nothing else may hold the display)"
            systemctl disable "$dm" >/dev/null 2>&1 || true
        fi
    done
}

start_and_wait() {   # restart the service; succeed once it reported READY (Type=notify)
    if ! systemd_running; then
        say "service: systemd is not running here: not started"
        return 0
    fi
    say "service: restarting $SERVICE (waits for READY=1, up to TimeoutStartSec)"
    if systemctl restart "$SERVICE" && sleep 5 && systemctl is-active -q "$SERVICE"; then
        say "service: $SERVICE is running $(release_of current)"
        return 0
    fi
    journalctl -u "$SERVICE" -n 20 --no-pager || true
    return 1
}

switch_to() {   # switch_to NAME: current -> NAME, previous -> the old current; start it
    local new=$1 old
    old=$(release_of current)
    if [ "$old" = "$new" ]; then
        say "release $new is already the current one"
        install_units
        start_and_wait || die "$SERVICE does not start on $new"
        return
    fi
    link "releases/$new" current
    ln -sfn "$PREFIX/current/.venv/bin/station" /usr/local/bin/station
    # units written for a checkout in /opt/station (ExecStart=/opt/station/.venv/bin/station)
    ln -sfn current/.venv "$PREFIX/.venv"
    install_units
    if start_and_wait; then
        [ "$old" = none ] || link "releases/$old" previous
        prune "$new" "$old"
        say "now running $new (previous: $old)"
    else
        if [ "$old" != none ]; then
            say "service failed on $new: switching back to $old"
            link "releases/$old" current
            install_units
            start_and_wait || say "warning: $old does not start either"
        fi
        die "$SERVICE did not start on $new; kept $old"
    fi
}

prune() {   # keep only the current and the previous release (and nothing half-built)
    local keep1=$1 keep2=$2 d
    for d in "$PREFIX"/releases/*; do
        [ -d "$d" ] || continue
        case $(basename "$d") in "$keep1"|"$keep2") continue ;; esac
        say "removing old release $(basename "$d")"
        rm -rf "$d"
    done
}

# ---------------------------------------------------------------- commands

cmd_install() {
    local ref=${1:-}
    check_os
    install_packages
    setup_time
    setup_user
    install_udev
    install_config
    install -d -m 0755 "$PREFIX" "$PREFIX/releases"
    sync_repo
    if [ -z "$ref" ] && [ "$(release_of current)" != none ]; then
        # already provisioned: re-check everything, keep the release that runs
        # (updates are explicit: provision.sh update TAG)
        ref=$(release_of current)
        say "release: keeping $ref (provision.sh update TAG changes it)"
    elif [ -z "$ref" ]; then   # the newest release tag, else what this checkout has
        ref=$(g -C "$PREFIX/repo" tag --list --sort=-version:refname | head -n 1)
        [ -n "$ref" ] || ref=$(g -C "$SRC" rev-parse HEAD)
    fi
    resolve "$ref"
    find_python
    build_release "$NAME" "$COMMIT"
    switch_to "$NAME"
    /usr/local/bin/station config check "$ETC/station.toml" ||
        say "fix $ETC/station.toml (the mirror shows the problem until it is fixed)"
    say "done. Next: mount the camera, then (with the zone empty) sudo systemctl stop station;"
    say "      sudo -u station station calibrate; sudo systemctl start station"
}

cmd_update() {
    local ref=${1:?usage: provision.sh update TAG}
    [ -d "$PREFIX/repo/.git" ] || die "not provisioned yet: run provision.sh install first"
    sync_repo
    resolve "$ref"
    find_python
    build_release "$NAME" "$COMMIT"
    switch_to "$NAME"
}

cmd_rollback() {
    local prev cur
    prev=$(release_of previous)
    cur=$(release_of current)
    if [ "$prev" = none ] || [ ! -f "$PREFIX/releases/$prev/.complete" ]; then
        die "no previous release to roll back to"
    fi
    say "rolling back from $cur to $prev"
    switch_to "$prev"
}

cmd_status() {
    echo "current:  $(release_of current)"
    echo "previous: $(release_of previous)"
    local d list=""
    for d in "$PREFIX"/releases/*/; do [ -d "$d" ] && list="$list $(basename "$d")"; done
    echo "releases:${list:- none}"
    if systemd_running; then systemctl --no-pager status "$SERVICE" | head -5 || true; fi
}

main() {
    local cmd=${1:-install}
    shift || true
    case $cmd in
        install) need_root "$cmd"; cmd_install "$@" ;;
        update) need_root "$cmd"; cmd_update "$@" ;;
        rollback) need_root "$cmd"; cmd_rollback ;;
        status) cmd_status ;;
        -h|--help|help) sed -n '2,32p' "$0" ;;
        *) die "unknown command '$cmd' (install, update TAG, rollback, status)" ;;
    esac
}

main "$@"
