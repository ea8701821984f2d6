# ASan + UBSan for the whole build when CREDKIT_SANITIZE is on; CI runs one such build.
if(CREDKIT_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
