# Writes the output of `${KUEUE} complete ${SHELL_NAME}` to ${OUTPUT}
# (run with cmake -P at build time; a script keeps the redirection portable).
get_filename_component(dir ${OUTPUT} DIRECTORY)
file(MAKE_DIRECTORY ${dir})
execute_process(COMMAND ${KUEUE} complete ${SHELL_NAME}
                OUTPUT_FILE ${OUTPUT}.tmp
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(REMOVE ${OUTPUT}.tmp)
  message(FATAL_ERROR "kueue complete ${SHELL_NAME} failed: ${rc}")
endif()
file(RENAME ${OUTPUT}.tmp ${OUTPUT})
