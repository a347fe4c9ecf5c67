{
  "targets": [
    {
      "target_name": "sluice_native",
      "sources": [
        "addon/addon.c",
        "addon/batch-validation.c",
        "addon/crc32c.c",
        "addon/helper-thread.c",
        "addon/record-walk.c"
      ],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-fvisibility=hidden", "-Wall", "-Wextra"],
      "cflags_c": ["-std=gnu11", "-O3"],
      "xcode_settings": {
        "OTHER_CFLAGS": ["-std=gnu11", "-O3", "-fvisibility=hidden"]
      }
    }
  ]
}
