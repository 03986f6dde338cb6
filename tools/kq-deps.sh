# Sourced by the set-up scripts: installs the Debian packages a step needs
# when they are missing.  Non-interactive, so it also runs in CI.  When
# every package is there it only asks dpkg, so the scripts run as any user
# without root or sudo.
kq_need_packages() {
    local missing=() pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' \
            || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "kueue-c: installing missing packages: ${missing[*]}"
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then
            sudo=(sudo -n)
        else
            kq_missing_help "${missing[@]}"
            return 1
        fi
    fi
    export DEBIAN_FRONTEND=noninteractive
    if ! "${sudo[@]}" apt-get update -q ||
       ! "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"; then
        kq_missing_help "${missing[@]}"
        return 1
    fi
}

# What to do when the packages cannot be installed from here.
kq_missing_help() {
    echo "kueue-c: cannot install the missing packages: $*" >&2
    echo "kueue-c: have them installed (as root: apt-get install $*), then run this" \
         "again; nothing else needs root" >&2
}

# Packages every build needs.
KQ_BUILD_PACKAGES=(cmake make gcc libc6-dev libcjson-dev libssl-dev libsqlite3-dev
                   libmicrohttpd-dev python3 python3-jinja2 python3-yaml)

# promtool (the tests check /metrics with it) from Debian's prometheus
# package, unpacked into DIR rather than installed: installing it would also
# enable and start a Prometheus daemon on machines with systemd.  Prints its
# path; one on PATH is used as it is.
kq_promtool() {
    local dir=$1
    if command -v promtool >/dev/null 2>&1; then
        command -v promtool
        return 0
    fi
    if [ ! -x "$dir/usr/bin/promtool" ]; then
        mkdir -p "$dir"
        ( cd "$dir" && rm -f prometheus_*.deb &&
          { apt-get download prometheus >/dev/null 2>&1 ||
            { apt-get update -q >/dev/null && apt-get download prometheus >/dev/null; }; } &&
          dpkg-deb -x prometheus_*.deb . && rm -f prometheus_*.deb usr/bin/prometheus ) >&2 ||
        return 1
    fi
    echo "$dir/usr/bin/promtool"
}

# Slurm and munge for the allocation tests (tests/integration/test_slurm.py
# starts a one-node cluster of its own, in a temporary folder): installed
# with their services kept from starting (a policy-rc.d for the time of the
# install), since they would run with the machine's configuration.  The
# test needs root and is skipped for other users, so nothing is installed
# for them.
KQ_SLURM_PACKAGES=(slurmctld slurmd slurm-client munge)
kq_need_slurm() {
    [ "$(id -u)" -eq 0 ] || return 0
    local policy=/usr/sbin/policy-rc.d created= rc=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 755 "$policy" && created=1
    fi
    kq_need_packages "${KQ_SLURM_PACKAGES[@]}" || rc=$?
    if [ -n "$created" ]; then
        rm -f "$policy"
    fi
    return $rc
}
