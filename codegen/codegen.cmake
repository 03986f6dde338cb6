# Finds a Python 3 that can run the generator (Jinja2 and PyYAML importable)
# and defines the `regen` target.  Debian's python3-jinja2 is only visible to
# /usr/bin/python3, which may not be the python3 first on PATH, so every
# candidate is tried.  Without one, the committed generated/ code is used and
# `regen` explains what to install.
set(KQ_PYTHON "" CACHE FILEPATH "Python 3 interpreter for the code generator")

set(_kq_candidates)
if(KQ_PYTHON)
  list(APPEND _kq_candidates "${KQ_PYTHON}")
endif()
list(APPEND _kq_candidates /usr/bin/python3)
find_program(_kq_path_python NAMES python3 NO_CACHE)
if(_kq_path_python)
  list(APPEND _kq_candidates "${_kq_path_python}")
endif()

set(KQ_CODEGEN_PYTHON "")
foreach(_py IN LISTS _kq_candidates)
  execute_process(COMMAND "${_py}" -c "import jinja2, yaml"
                  RESULT_VARIABLE _rc OUTPUT_QUIET ERROR_QUIET)
  if(_rc EQUAL 0)
    set(KQ_CODEGEN_PYTHON "${_py}")
    break()
  endif()
endforeach()

set(KQ_CODEGEN_HINT "no Python 3 interpreter that can import jinja2 and yaml (tried: ${_kq_candidates}); install python3-jinja2 and python3-yaml (apt-get) or configure with -DKQ_PYTHON=/path/to/python3")

if(KQ_CODEGEN_PYTHON)
  message(STATUS "Code generator interpreter: ${KQ_CODEGEN_PYTHON}")
  add_custom_target(regen
    COMMAND "${KQ_CODEGEN_PYTHON}" "${CMAKE_SOURCE_DIR}/codegen/kqgen.py"
            --out "${CMAKE_SOURCE_DIR}/generated"
    WORKING_DIRECTORY "${CMAKE_SOURCE_DIR}"
    COMMENT "Regenerating generated/ from schema/"
    VERBATIM)
else()
  message(WARNING "Kueue-C: ${KQ_CODEGEN_HINT}. The committed generated/ code is used.")
  add_custom_target(regen
    COMMAND "${CMAKE_COMMAND}" -E echo "regen: ${KQ_CODEGEN_HINT}"
    COMMAND "${CMAKE_COMMAND}" -E false
    VERBATIM)
endif()
