# Compiler warnings and sanitizers for every target of the project.
add_compile_options(
  -Wall -Wextra -Wpedantic -Wshadow -Wformat=2 -Wstrict-prototypes
  -Wmissing-prototypes -Wold-style-definition -Wundef -Wvla
  -Wnull-dereference -Wimplicit-fallthrough -Wcast-qual
  # snprintf into fixed buffers is the house way to build messages and paths:
  # messages may be cut, and path lengths are checked where they enter (state
  # and backup directories), so GCC's -O2 guesses about truncation are noise.
  $<$<C_COMPILER_ID:GNU>:-Wno-format-truncation>)
if(KUW_WERROR)
  add_compile_options(-Werror)
endif()
if(KUW_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all
                      -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=address,undefined)
endif()
