# shellcheck shell=bash
# Set-up steps shared by scripts/run and scripts/test. Each one checks first and does nothing when
# what it installs is already there, so running them again is fast; each says what it installs.
# Sourced, not run.

# Runs a command as root: directly when we are root, through sudo when it is there.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        echo "setup: '$*' needs root, and there is no sudo: run this script as root" >&2
        exit 1
    fi
}

# need_apt WHY PACKAGE...: installs the Debian packages that are missing.
need_apt() {
    local why=$1
    shift
    local missing=()
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "setup: installing from Debian ${missing[*]} ($why)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# need_pip MODULE SPEC WHY: installs SPEC from PyPI into this Python when MODULE does not import.
need_pip() {
    local module=$1 spec=$2 why=$3
    python3 -c "import $module" 2>/dev/null && return 0
    echo "setup: installing $spec from PyPI ($why)"
    python3 -m pip install --quiet --break-system-packages "$spec" 2>/dev/null || python3 -m pip install --quiet "$spec"
}

# need_venv DIR EXECUTABLE WHY PIP-ARGS...: a virtual environment of its own for a Python tool
# whose dependencies would clash with others (each `pip install` line is one PIP-ARGS word).
need_venv() {
    local dir=$1 executable=$2 why=$3
    shift 3
    [ -x "$dir/bin/$executable" ] && return 0
    echo "setup: installing $executable into $dir ($why)"
    python3 -m venv "$dir"
    for args in "$@"; do
        # shellcheck disable=SC2086 # each word list is one pip install command line
        "$dir/bin/pip" install --quiet $args
    done
}
