# Lint.cmake - verilator --lint-only -Wall on every RTL file.
#
#   cmake -DVERILATOR=... -DPKG=dlp_cfg_pkg.sv -DRTL_DIR=hw/rtl -P Lint.cmake
#
# Each hw/rtl/<name>.sv is linted with the generated package and <name> as
# the top module (its submodules found in hw/rtl); any warning fails the test (waivers live in the sources,
# each with its reason).
file(GLOB files ${RTL_DIR}/*.sv)
if(NOT files)
  message(FATAL_ERROR "no .sv files in ${RTL_DIR}")
endif()
set(failed "")
foreach(f ${files})
  get_filename_component(top ${f} NAME_WE)
  execute_process(
    COMMAND ${VERILATOR} --lint-only -Wall --top-module ${top} -y ${RTL_DIR} ${PKG} ${f}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(rc OR out)
    message("${top}: lint failed\n${out}")
    list(APPEND failed ${top})
  else()
    message("${top}: clean")
  endif()
endforeach()
if(failed)
  message(FATAL_ERROR "lint failed: ${failed}")
endif()
