# One interface target carries the warning flags; every credkit target links it.
add_library(credkit_warnings INTERFACE)
target_compile_options(credkit_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
  -Wold-style-cast -Woverloaded-virtual -Wimplicit-fallthrough
  # Designated initializers that leave members at their defaults are intended, not a slip.
  -Wno-missing-field-initializers)
if(CREDKIT_WERROR)
  target_compile_options(credkit_warnings INTERFACE -Werror)
endif()
