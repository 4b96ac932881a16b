#!/usr/bin/env bash
# Installs what is missing (Debian packages only), then configures and builds udeflow
# (Release) in build/.  Sourced by run.sh and test.sh; safe to run again: it only does
# what is needed.
#   UDEFLOW_BUILD_DIR  build directory (default: <repo>/build)
#   UDEFLOW_NO_INSTALL=1  never call apt-get (fail if something is missing)
set -euo pipefail
UDEFLOW_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${UDEFLOW_BUILD_DIR:-$UDEFLOW_ROOT/build}"

PACKAGES=(petsc-dev libopenmpi-dev openmpi-bin libeigen3-dev libhdf5-openmpi-dev libgtest-dev
          pkg-config cmake g++ make ninja-build librandom123-dev python3-matplotlib python3-h5py clang-format)
# ParaView Catalyst (in situ) and ParaView's Python (pvbatch, Catalyst Python pipelines,
# the XDMF reader test): ~110 s to install on a clean Debian 12 machine.
# UDEFLOW_NO_CATALYST=1 skips them (the build then refuses the -catalyst_* options).
if [ "${UDEFLOW_NO_CATALYST:-0}" != 1 ]; then
  PACKAGES+=(paraview-dev python3-paraview libpython3-dev)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "${UDEFLOW_NO_INSTALL:-0}" = 1 ]; then
    echo "udeflow setup: missing Debian packages: ${missing[*]}" >&2
    exit 1
  fi
  echo "udeflow setup: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Open MPI refuses to run as root unless told; only then.
if [ "$(id -u)" = 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi

if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  # ccache, when installed, makes rebuilds from fresh clones cheap (it is optional).
  launcher=()
  if command -v ccache > /dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
  cmake -S "$UDEFLOW_ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release "${launcher[@]}"
fi
cmake --build "$BUILD_DIR" -j "$(nproc)"

# mpiexec prefix for N ranks: --oversubscribe only when ranks exceed cores; no binding
# (Open MPI binds rank r of every mpiexec to core r, so two runs started side by side, as
# two 1-rank cases, would share core 0 and leave core 1 idle).
udeflow_mpiexec() {
  local np="$1"
  shift
  local extra=(--bind-to none)
  if [ "$np" -gt "$(nproc)" ]; then extra+=(--oversubscribe); fi
  mpiexec -n "$np" "${extra[@]}" "$@"
}
