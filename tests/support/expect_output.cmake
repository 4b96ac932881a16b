# A command that must succeed and print a given text:
#   cmake -P expect_output.cmake -- <regex> <command...>
# Passes when <command> exits with code 0 AND its output (stdout and stderr together, in
# the order written) matches <regex>.  <regex> is a CMake regular expression, the syntax
# and matching of CTest's PASS_REGULAR_EXPRESSION, which on its own ignores the exit code
# (a crash after the text would pass).  The output is echoed as it comes.
set(sep -1)
foreach(i RANGE ${CMAKE_ARGC})
  if(i LESS CMAKE_ARGC AND "${CMAKE_ARGV${i}}" STREQUAL "--")
    set(sep ${i})
    break()
  endif()
endforeach()
math(EXPR first "${sep} + 2")
if(sep LESS 0 OR first GREATER_EQUAL CMAKE_ARGC)
  message(FATAL_ERROR "usage: cmake -P expect_output.cmake -- <regex> <command...>")
endif()
math(EXPR ri "${sep} + 1")
set(regex "${CMAKE_ARGV${ri}}")
math(EXPR last "${CMAKE_ARGC} - 1")
set(cmd)
foreach(i RANGE ${first} ${last})
  string(REPLACE ";" "\\;" arg "${CMAKE_ARGV${i}}")
  list(APPEND cmd "${arg}")
endforeach()

execute_process(COMMAND ${cmd} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out
                ECHO_OUTPUT_VARIABLE ECHO_ERROR_VARIABLE)
set(problems)
if(NOT rc STREQUAL "0")
  list(APPEND problems "the command exited with '${rc}', expected 0")
endif()
if(NOT out MATCHES "${regex}")
  list(APPEND problems "the output does not match the regular expression '${regex}'")
endif()
if(problems)
  list(JOIN problems "; and " text)
  message(FATAL_ERROR "expect_output: FAIL: ${text}")
endif()
message(STATUS "expect_output: ok: exit code 0 and the expected text")
