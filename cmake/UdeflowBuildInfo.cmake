# Run at every build (cmake -P): writes the source of udeflow::BuildInfo() with the git
# commit of the tree being built, so `udeflow --version` and every output file name the
# exact sources (a configure-time value would go stale after the next commit).
# Inputs (-D): SRC_DIR, OUT, GIT_EXECUTABLE, VERSION, COMPILER, FLAGS, BUILD_TYPE.
set(commit "")
set(describe "")
set(dirty "unknown")
if(GIT_EXECUTABLE AND EXISTS "${SRC_DIR}/.git")
  execute_process(COMMAND "${GIT_EXECUTABLE}" rev-parse HEAD WORKING_DIRECTORY "${SRC_DIR}"
                  OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  execute_process(COMMAND "${GIT_EXECUTABLE}" describe --always --tags WORKING_DIRECTORY "${SRC_DIR}"
                  OUTPUT_VARIABLE describe OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  # Uncommitted changes outside results/: a report written into the tree (results/REPORT.md
  # and its figures) is not the program, and must not mark the next build of the same
  # sources "-dirty" (scripts/docs/reproduce.py draws the same line).
  execute_process(COMMAND "${GIT_EXECUTABLE}" status --porcelain --untracked-files=no -- .
                          ":(exclude)results"
                  WORKING_DIRECTORY "${SRC_DIR}"
                  OUTPUT_VARIABLE changes OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE status_rc)
  if(status_rc EQUAL 0)
    if(changes STREQUAL "")
      set(dirty "no")
    else()
      set(dirty "yes")
      if(NOT describe STREQUAL "")
        set(describe "${describe}-dirty")
      endif()
    endif()
  endif()
endif()
foreach(v commit describe dirty VERSION COMPILER FLAGS BUILD_TYPE)
  string(REPLACE "\\" "\\\\" ${v} "${${v}}")
  string(REPLACE "\"" "\\\"" ${v} "${${v}}")
endforeach()
set(content "// Generated at build time by cmake/UdeflowBuildInfo.cmake; do not edit.
#include \"udeflow/core/provenance.hpp\"
namespace udeflow {
const BuildFacts& BuildInfo() {
  static const BuildFacts facts{\"${VERSION}\", \"${commit}\", \"${describe}\", \"${dirty}\",
                                \"${COMPILER}\", \"${FLAGS}\", \"${BUILD_TYPE}\"};
  return facts;
}
}  // namespace udeflow
")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
else()
  set(old "")
endif()
if(NOT old STREQUAL content)
  file(WRITE "${OUT}" "${content}")
endif()
