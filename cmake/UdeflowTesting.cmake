# Test helpers for udeflow.
#
# udeflow_add_mpi_test(NAME <name> SOURCES <files...> [NP <n...>] [ARGS <args...>]
#                      [LABELS <labels...>] [TIMEOUT <seconds>]
#                      [COMPARE_RANKS <gtest patterns...>] [MIN_NP <n>:<gtest pattern>...]
#                      [EXCLUDE <gtest patterns...>])
#   Builds the GoogleTest executable test_<name> (linked with udeflow_lib and the
#   PETSc-aware gtest main) and registers one CTest test per rank count,
#   <name>_np<n>, run with mpiexec.  NP defaults to 1; TIMEOUT to 300 s (times
#   UDEFLOW_TEST_TIMEOUT_FACTOR).
#   COMPARE_RANKS: the tests that compare results across rank counts (sub-communicators
#   of the world); on 1 rank they compare nothing, so the 1-rank registration leaves them
#   out (--gtest_filter) and the comparison helper fails there (test_util.hpp).
#   MIN_NP <n>:<pattern>: tests run only at <n> ranks or more.  EXCLUDE: tests left out
#   at every rank count (e.g. of a feature not built).
#
# udeflow_add_mpi_command_test(NAME <name> NP <n> COMMAND <cmd...> [LABELS ...]
#                              [EXPECT_OUTPUT <regex>] [TIMEOUT <seconds>])
#   Registers an existing program run under mpiexec with <n> ranks.  EXPECT_OUTPUT: the
#   command must exit 0 AND print text matching <regex> (a CMake regex, as CTest's
#   PASS_REGULAR_EXPRESSION, which alone would ignore the exit code).
#
# ${UDEFLOW_EXPECT_OUTPUT} <regex> <command...>
#   The same check for a test registered with add_test (tests/support/expect_output.cmake).
# ${UDEFLOW_SKIPPABLE} <command...>
#   Prefix of a test that may skip itself with exit code 77 (set SKIP_RETURN_CODE 77):
#   it applies the skip policy (tests/support/skip_policy.sh; scripts/test.sh): with
#   CI=true a skip fails unless UDEFLOW_ALLOW_SKIPS=1.  GoogleTest's GTEST_SKIP follows
#   the same rule in tests/support/gtest_petsc_main.cpp.

find_package(GTest REQUIRED)
# Every test's timeout is multiplied by this (scripts/sanitize.sh sets it for the much
# slower sanitizer build).
set(UDEFLOW_TEST_TIMEOUT_FACTOR 1 CACHE STRING "Factor applied to every test's timeout")

execute_process(COMMAND id -u OUTPUT_VARIABLE _udeflow_uid OUTPUT_STRIP_TRAILING_WHITESPACE)
cmake_host_system_information(RESULT _udeflow_ncores QUERY NUMBER_OF_LOGICAL_CORES)
# Tests run 3 ranks on 2 cores beside other tests: a rank waiting in MPI yields its core
# (mpiexec --oversubscribe does not turn this on; measured on the loaded 2-core machine, a
# 3-rank Fisher-KPP gradient check took 24 s spinning and 8.5 s yielding).
# No binding: Open MPI binds rank r of every mpiexec to core r (for 2 ranks or fewer), so two
# 1-rank tests run side by side by ctest -j2 shared core 0 while core 1 idled.
set(UDEFLOW_TEST_ENV "OMPI_MCA_rmaps_base_oversubscribe=1" "OMPI_MCA_mpi_yield_when_idle=1"
    "OMPI_MCA_hwloc_base_binding_policy=none"
    "UDEFLOW_OPTIONS_STRICT=1")  # unused options refused in every test (docs/options.md)
if(_udeflow_uid STREQUAL "0")
  list(APPEND UDEFLOW_TEST_ENV "OMPI_ALLOW_RUN_AS_ROOT=1" "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1")
endif()

set(UDEFLOW_EXPECT_OUTPUT ${CMAKE_COMMAND} -P ${PROJECT_SOURCE_DIR}/tests/support/expect_output.cmake --)
set(UDEFLOW_SKIPPABLE ${PROJECT_SOURCE_DIR}/tests/support/skip_policy.sh)

function(_udeflow_mpiexec_prefix out np)
  set(pre ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${np})
  if(np GREATER _udeflow_ncores)
    list(APPEND pre --oversubscribe)
  endif()
  set(${out} ${pre} PARENT_SCOPE)
endfunction()

function(udeflow_add_mpi_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;NP;ARGS;LABELS;COMPARE_RANKS;MIN_NP;EXCLUDE" ${ARGN})
  if(NOT T_NP)
    set(T_NP 1)
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  math(EXPR T_TIMEOUT "${T_TIMEOUT} * ${UDEFLOW_TEST_TIMEOUT_FACTOR}")
  # The gtest main (PETSc initialized once per program) is compiled once for all programs.
  if(NOT TARGET udeflow_gtest_petsc_main)
    add_library(udeflow_gtest_petsc_main OBJECT ${PROJECT_SOURCE_DIR}/tests/support/gtest_petsc_main.cpp)
    target_include_directories(udeflow_gtest_petsc_main PRIVATE ${PROJECT_SOURCE_DIR}/tests/support)
    target_link_libraries(udeflow_gtest_petsc_main PRIVATE udeflow_lib GTest::gtest)
  endif()
  set(exe test_${T_NAME})
  add_executable(${exe} ${T_SOURCES} $<TARGET_OBJECTS:udeflow_gtest_petsc_main>)
  target_include_directories(${exe} PRIVATE ${PROJECT_SOURCE_DIR}/tests/support ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${exe} PRIVATE udeflow_lib GTest::gtest)
  target_compile_definitions(${exe} PRIVATE UDEFLOW_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  foreach(np IN LISTS T_NP)
    _udeflow_mpiexec_prefix(pre ${np})
    set(tname ${T_NAME}_np${np})
    set(excluded ${T_EXCLUDE})
    if(np LESS 2)
      list(APPEND excluded ${T_COMPARE_RANKS})
    endif()
    foreach(item IN LISTS T_MIN_NP)
      if(NOT item MATCHES "^([0-9]+):(.+)$")
        message(FATAL_ERROR "udeflow_add_mpi_test(${T_NAME}): MIN_NP item '${item}' is not <n>:<pattern>")
      endif()
      if(np LESS CMAKE_MATCH_1)
        list(APPEND excluded ${CMAKE_MATCH_2})
      endif()
    endforeach()
    set(filter)
    if(excluded)
      list(JOIN excluded ":" f)
      set(filter --gtest_filter=-${f})
    endif()
    add_test(NAME ${tname} COMMAND ${pre} $<TARGET_FILE:${exe}> ${filter} ${T_ARGS}
             WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
    set_tests_properties(${tname} PROPERTIES PROCESSORS ${np} TIMEOUT ${T_TIMEOUT}
                         ENVIRONMENT "${UDEFLOW_TEST_ENV}" LABELS "${T_LABELS}")
  endforeach()
endfunction()

function(udeflow_add_mpi_command_test)
  cmake_parse_arguments(T "" "NAME;NP;TIMEOUT;EXPECT_OUTPUT" "COMMAND;LABELS" ${ARGN})
  if(NOT T_NP)
    set(T_NP 1)
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  math(EXPR T_TIMEOUT "${T_TIMEOUT} * ${UDEFLOW_TEST_TIMEOUT_FACTOR}")
  _udeflow_mpiexec_prefix(pre ${T_NP})
  if(DEFINED T_EXPECT_OUTPUT)
    set(pre ${UDEFLOW_EXPECT_OUTPUT} ${T_EXPECT_OUTPUT} ${pre})
  endif()
  add_test(NAME ${T_NAME} COMMAND ${pre} ${T_COMMAND} WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  set_tests_properties(${T_NAME} PROPERTIES PROCESSORS ${T_NP} TIMEOUT ${T_TIMEOUT}
                       ENVIRONMENT "${UDEFLOW_TEST_ENV}" LABELS "${T_LABELS}")
endfunction()
