# kuw_add_test(NAME SOURCES... [LIBS libs...] [PG]) — one cmocka test executable, one ctest.
# PG marks tests that start their own PostgreSQL sandbox; they get a resource lock so
# that at most a couple run at once on a two-core machine.
function(kuw_add_test name)
  cmake_parse_arguments(T "PG" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} PkgConfig::CMOCKA)
  # cmocka's assert_non_null() does not return on failure, but is not declared
  # noreturn: at -O2 GCC then warns about the dereference right after it.
  target_compile_options(${name} PRIVATE -Wno-null-dereference)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES
    ENVIRONMENT "CMOCKA_MESSAGE_OUTPUT=STDOUT;KUW_KONG_SIM=$<TARGET_FILE:kong-sim>;KUW_WIZARD=$<TARGET_FILE:kong-upgrade-wizard>;KUW_SOURCE_DIR=${PROJECT_SOURCE_DIR}"
    TIMEOUT 600)
  if(T_PG)
    set_tests_properties(${name} PROPERTIES LABELS pg)
  endif()
endfunction()
