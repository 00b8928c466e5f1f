#!/usr/bin/env bash
# Installs every Debian package Lathe needs to build, test and run. Idempotent: when everything
# is already installed it only checks (about a second) and touches no package list.
#   --headless  only what a worker node needs to build lathe-train and lathe-supervisor (no Qt,
#               no test tools): what "Install on host" runs on a node (scripts/install-node.sh).
set -euo pipefail

HEADLESS_PACKAGES=(
  cmake ninja-build g++ ccache pkg-config
  libtorch-dev libopenblas0-pthread nlohmann-json3-dev libpcre2-dev libicu-dev libssl-dev
  libsqlite3-dev libcli11-dev libgloo-dev libssh-dev
)

PACKAGES=(
  # build
  cmake ninja-build g++ ccache pkg-config clang-format git
  # engine
  libtorch-dev libopenblas0-pthread nlohmann-json3-dev libpcre2-dev libicu-dev libssl-dev
  libsqlite3-dev
  libcli11-dev
  # data-parallel training: c10d's Gloo backend headers (libtorch links this libgloo)
  libgloo-dev
  # studio and remote
  qt6-base-dev libqcustomplot-dev libssh-dev
  # tests: real sshd, a display for widgets
  libgtest-dev openssh-server xvfb
  # tests: a one-node SLURM cluster started by the SLURM tests (as root)
  slurmctld slurmd slurm-client munge
  # the embedded default corpus
  fortunes fortunes-min
)

if [ "${1:-}" = "--headless" ]; then
  PACKAGES=("${HEADLESS_PACKAGES[@]}")
elif [ -n "${1:-}" ]; then
  echo "setup: unknown option '$1' (use --headless or nothing)" >&2
  exit 2
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  # -n: never wait for a password nobody can type (a node installed from the studio has no
  # terminal); the message says what to do instead.
  SUDO="sudo -n"
  if ! $SUDO true 2>/dev/null; then
    echo "setup: installing ${missing[*]} needs root: run this as root, give $(id -un) sudo" \
      "without a password, or install them with apt-get first" >&2
    exit 1
  fi
fi
echo "setup: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup: done"
