# SPDX-License-Identifier: MIT
# cmake -P script behind the interop_otjs test: run the case driver, then compare.js. Any failure, including
# a missing node or ot.js, is a FATAL_ERROR so the test fails rather than passes unchecked.
foreach(var DRIVER SCRIPT_DIR CASES_FILE COUNT SEED)
    if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
        message(FATAL_ERROR "run-interop.cmake: -D${var}=... is required")
    endif()
endforeach()
if(NOT NODE OR NOT EXISTS "${NODE}")
    message(FATAL_ERROR "interop_otjs: Node.js was not found at configure time (COSCRIBE_NODE_EXECUTABLE). "
        "Install node >= 18 (scripts/install-deps.sh) and re-run cmake.")
endif()
if(NOT EXISTS "${SCRIPT_DIR}/node_modules/ot/package.json")
    message(FATAL_ERROR "interop_otjs: ot.js is not installed: ${SCRIPT_DIR}/node_modules/ot is missing. "
        "Run `npm ci` in tests/interop (scripts/install-deps.sh does it).")
endif()

execute_process(COMMAND "${DRIVER}" --count "${COUNT}" --seed "${SEED}" --output "${CASES_FILE}"
    RESULT_VARIABLE driverResult)
if(NOT driverResult EQUAL 0)
    message(FATAL_ERROR "interop_otjs: interopcases failed (${driverResult})")
endif()

execute_process(COMMAND "${NODE}" "${SCRIPT_DIR}/compare.js" "${CASES_FILE}"
    WORKING_DIRECTORY "${SCRIPT_DIR}"
    RESULT_VARIABLE compareResult)
if(NOT compareResult EQUAL 0)
    message(FATAL_ERROR "interop_otjs: compare.js reported a failure (${compareResult}); "
        "reproduce with: ${DRIVER} --count ${COUNT} --seed ${SEED} --output ${CASES_FILE} && "
        "node ${SCRIPT_DIR}/compare.js ${CASES_FILE}")
endif()
