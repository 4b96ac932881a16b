#!/usr/bin/env bash
# `cmake --install` into a temporary prefix, then configure, build and run a tiny consumer
# project that uses find_package(udeflow): a C++-only one (project(x CXX)) run, and one
# with C and C++ configured; then the tutorial physics built and run outside the tree.
# Usage: run.sh <build dir> <source dir> <work dir> <mpiexec...>
set -euo pipefail
build="$1"; src="$2"; work="$3"; shift 3
rm -rf "$work"
mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
test -f "$work/prefix/lib/cmake/udeflow/udeflowConfig.cmake" || { echo "no udeflowConfig.cmake installed"; exit 1; }
test -f "$work/prefix/lib/cmake/udeflow/udeflowConfigVersion.cmake" || { echo "no version file installed"; exit 1; }
test -x "$work/prefix/bin/udeflow" || { echo "no udeflow program installed"; exit 1; }
"$work/prefix/bin/udeflow" --version
cmake -S "$src/tests/install/consumer" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$work/prefix" \
      -DCMAKE_BUILD_TYPE=Release > "$work/configure.log" || { cat "$work/configure.log"; exit 1; }
cmake --build "$work/consumer" -j 2 > "$work/build.log" || { cat "$work/build.log"; exit 1; }
# The consumer is a C++-only project (no C compiler enabled): find_package(udeflow) must not
# ask for MPI's C component there.
grep -q "^CMAKE_C_COMPILER:" "$work/consumer/CMakeCache.txt" && { echo "the consumer enabled C"; exit 1; }
cd "$work/consumer"
"$@" ./consumer
# A project with C and C++ finds it too (configured; the build is the same as above).
mkdir -p "$work/c_and_cxx"
cp "$src/tests/install/consumer/main.cpp" "$work/c_and_cxx/"
sed 's/LANGUAGES CXX)/LANGUAGES C CXX)/' "$src/tests/install/consumer/CMakeLists.txt" > "$work/c_and_cxx/CMakeLists.txt"
cmake -S "$work/c_and_cxx" -B "$work/c_and_cxx/build" -DCMAKE_PREFIX_PATH="$work/prefix" \
      -DCMAKE_BUILD_TYPE=Release > "$work/c_and_cxx.log" || { cat "$work/c_and_cxx.log"; exit 1; }
# A version the install does not satisfy is refused.
mkdir -p "$work/too_new"
cat > "$work/too_new/CMakeLists.txt" <<'CMK'
cmake_minimum_required(VERSION 3.18)
project(too_new LANGUAGES C CXX)
find_package(udeflow 99 QUIET)
if(udeflow_FOUND)
  message(FATAL_ERROR "udeflow 99 should not be found")
endif()
CMK
cmake -S "$work/too_new" -B "$work/too_new/build" > /dev/null
# The tutorial physics (docs/new-physics.md): src/pde/reaction_diffusion.cpp compiled from
# the sources against the install, registered by the program itself, its adjoint gradient
# checked and a short generate + train of cases/reaction_diffusion.yaml run with it.
cmake -S "$src/tests/install/tutorial_consumer" -B "$work/tutorial" -DCMAKE_PREFIX_PATH="$work/prefix" \
      -DUDEFLOW_SOURCE_DIR="$src" -DCMAKE_BUILD_TYPE=Release > "$work/tutorial_configure.log" \
  || { cat "$work/tutorial_configure.log"; exit 1; }
cmake --build "$work/tutorial" -j 2 > "$work/tutorial_build.log" || { cat "$work/tutorial_build.log"; exit 1; }
(cd "$work/tutorial" && "$@" ./tutorial_consumer -options_file "$src/cases/reaction_diffusion.yaml" \
   -output_dir out -physics my_reaction_diffusion -truth_physics my_reaction_diffusion \
   -generate_train_seeds 1,2 -generate_test_seeds 3 -train_iterations 40 -train_lbfgs_iterations 0)
echo "ok: installed, found and used udeflow from $work/prefix"
