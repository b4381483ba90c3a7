# The warning flags every target is built with (fo_target_setup in the top CMakeLists.txt
# adds FO_PICKY_WARNINGS). The set follows curl's CMake/PickyWarnings.cmake: what both gcc and
# clang understand first, then each compiler's own, each flag tested before use so an older
# or newer compiler never fails on an unknown option.
#
# Left out on purpose, with the reason:
#   -Wdeclaration-after-statement  C11 code declares variables where they are first set.
#   -Wpadded, -Wswitch-enum        public structs and `default:` cases are deliberate.
#   -Wcast-qual                    55 findings (Dec 2026), nearly all argv arrays handed to
#                                  execv() and const data to APIs taking `char *`.
#   -Wunused-macros                headers define macros for other files.
#   -Wbad-function-cast            with -Wsign-conversion it leaves no way to turn a call
#                                  returning an enum (unsigned to the compiler) into an int.
#   -Wformat-signedness (gcc)      fires on enums (unsigned to gcc) printed with %d.
#   -Wjump-misses-init (gcc)       a C++ concern: `goto out` past a declaration is valid C
#                                  and the cleanup style here (137 hits, none a bug).
#   -pedantic                      79 findings (Dec 2026): 78 are `return f();` in a void
#                                  function (mostly the testbed's routes), which both
#                                  compilers accept; worth a change of its own.
include(CheckCCompilerFlag)

# Both compilers, any version this project builds with (gcc >= 10, clang >= 11).
set(_fo_warnings
  -Wall -Wextra
  -Wformat=2                   # format strings: non-literal, security, y2k
  -Wshadow                     # a local hides another name
  -Wstrict-prototypes          # f() in C means "any arguments"
  -Wmissing-prototypes         # an exported function without a header declaration
  -Wmissing-declarations
  -Wold-style-definition
  -Wwrite-strings              # string literals are const char[]
  -Wpointer-arith              # arithmetic on void *
  -Wvla                        # no stack arrays sized at run time
  -Wcast-align                 # clang: casts that raise alignment (gcc: see below)
  -Wnested-externs             # extern declarations inside functions
  -Wredundant-decls
  -Wundef                      # #if on an undefined macro
  -Wfloat-equal
  -Wmissing-noreturn
  -Wdouble-promotion           # float silently widened to double
  -Wendif-labels
  -Wunused-const-variable
  -Wnull-dereference
  -Wimplicit-fallthrough
  -Wshift-negative-value
  -Wmissing-field-initializers
  -Wunreachable-code
  -Wconversion                 # implicit narrowing, int <-> float (the code converts
  -Wsign-conversion)           # explicitly; curl keeps these on too)

if(CMAKE_C_COMPILER_ID MATCHES "Clang")
  list(APPEND _fo_warnings
    -Wcomma                    # `a, b` where `a; b` was meant
    -Wmissing-variable-declarations
    -Wassign-enum              # a value outside the enum stored in it
    -Wextra-semi-stmt
    -Wshorten-64-to-32         # long/size_t narrowed to int
    -Wshift-sign-overflow
    -Wheader-guard
    -Wsometimes-uninitialized
    -Wunreachable-code-break
    -Wconditional-uninitialized
    -Wloop-analysis
    -Wstring-conversion)
elseif(CMAKE_COMPILER_IS_GNUCC)
  list(APPEND _fo_warnings
    -Wcast-align=strict        # gcc's plain -Wcast-align is silent on x86
    -Wlogical-op
    -Wduplicated-cond
    -Wduplicated-branches
    -Wold-style-declaration
    -Wmissing-parameter-type
    -Wstrict-aliasing=3
    -Wtrampolines
    -Walloc-zero
    -Wrestrict
    -Wshift-overflow=2
    -Wformat-overflow=2
    -Wformat-truncation=2
    -Warray-bounds=2)
endif()

set(FO_PICKY_WARNINGS "")
foreach(_flag IN LISTS _fo_warnings)
  string(MAKE_C_IDENTIFIER "FO_HAS${_flag}" _var)
  check_c_compiler_flag(${_flag} ${_var})
  if(${_var})
    list(APPEND FO_PICKY_WARNINGS ${_flag})
  endif()
endforeach()
message(STATUS "fixorigin warnings: ${FO_PICKY_WARNINGS}")
