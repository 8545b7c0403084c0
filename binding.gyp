{
  "targets": [
    {
      "target_name": "syssock",
      "sources": [
        "native/addon.cc",
        "native/args.cc",
        "native/constants.cc",
        "native/layouts.cc",
        "native/poller.cc",
        "native/sockaddr.cc",
        "native/sys_calls.cc",
        "native/tcp_info_layout.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Wno-missing-field-initializers", "-fvisibility=hidden"],
      "xcode_settings": {
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "MACOSX_DEPLOYMENT_TARGET": "11.0"
      }
    }
  ]
}
