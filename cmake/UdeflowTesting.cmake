# Test helpers for udeflow.
#
# udeflow_add_mpi_test(NAME <name> SOURCES <files...> [NP <n...>] [ARGS <args...>]
#                      [LABELS <labels...>] [TIMEOUT <seconds>])
#   Builds the GoogleTest executable test_<name> (linked with udeflow_lib and the
#   PETSc-aware gtest main) and registers one CTest test per rank count,
#   <name>_np<n>, run with mpiexec.  NP defaults to 1.
#
# udeflow_add_mpi_command_test(NAME <name> NP <n> COMMAND <cmd...> [LABELS ...])
#   Registers an existing program run under mpiexec with <n> ranks.

find_package(GTest REQUIRED)

execute_process(COMMAND id -u OUTPUT_VARIABLE _udeflow_uid OUTPUT_STRIP_TRAILING_WHITESPACE)
cmake_host_system_information(RESULT _udeflow_ncores QUERY NUMBER_OF_LOGICAL_CORES)
# Tests run 3 ranks on 2 cores beside other tests: a rank waiting in MPI yields its core
# (mpiexec --oversubscribe does not turn this on; measured on the loaded 2-core machine, a
# 3-rank Fisher-KPP gradient check took 24 s spinning and 8.5 s yielding).
set(UDEFLOW_TEST_ENV "OMPI_MCA_rmaps_base_oversubscribe=1" "OMPI_MCA_mpi_yield_when_idle=1")
if(_udeflow_uid STREQUAL "0")
  list(APPEND UDEFLOW_TEST_ENV "OMPI_ALLOW_RUN_AS_ROOT=1" "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1")
endif()

function(_udeflow_mpiexec_prefix out np)
  set(pre ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${np})
  if(np GREATER _udeflow_ncores)
    list(APPEND pre --oversubscribe)
  endif()
  set(${out} ${pre} PARENT_SCOPE)
endfunction()

function(udeflow_add_mpi_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;NP;ARGS;LABELS" ${ARGN})
  if(NOT T_NP)
    set(T_NP 1)
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  set(exe test_${T_NAME})
  add_executable(${exe} ${T_SOURCES} ${PROJECT_SOURCE_DIR}/tests/support/gtest_petsc_main.cpp)
  target_include_directories(${exe} PRIVATE ${PROJECT_SOURCE_DIR}/tests/support)
  target_link_libraries(${exe} PRIVATE udeflow_lib GTest::gtest)
  target_compile_definitions(${exe} PRIVATE UDEFLOW_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  foreach(np IN LISTS T_NP)
    _udeflow_mpiexec_prefix(pre ${np})
    set(tname ${T_NAME}_np${np})
    add_test(NAME ${tname} COMMAND ${pre} $<TARGET_FILE:${exe}> ${T_ARGS}
             WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
    set_tests_properties(${tname} PROPERTIES PROCESSORS ${np} TIMEOUT ${T_TIMEOUT}
                         ENVIRONMENT "${UDEFLOW_TEST_ENV}" LABELS "${T_LABELS}")
  endforeach()
endfunction()

function(udeflow_add_mpi_command_test)
  cmake_parse_arguments(T "" "NAME;NP;TIMEOUT" "COMMAND;LABELS" ${ARGN})
  if(NOT T_NP)
    set(T_NP 1)
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  _udeflow_mpiexec_prefix(pre ${T_NP})
  add_test(NAME ${T_NAME} COMMAND ${pre} ${T_COMMAND} WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  set_tests_properties(${T_NAME} PROPERTIES PROCESSORS ${T_NP} TIMEOUT ${T_TIMEOUT}
                       ENVIRONMENT "${UDEFLOW_TEST_ENV}" LABELS "${T_LABELS}")
endfunction()
