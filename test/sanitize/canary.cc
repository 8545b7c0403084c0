// The sanitizer canary: a tiny Node-API addon, built only by the sanitizer build (CMakeLists.txt,
// SYSSOCK_SANITIZE=ON) with the same -fsanitize flags as the addon, and never shipped. Each
// export but `clean` commits one deliberate bug when called, with the bad index or value coming
// from JavaScript so that the compiler cannot see it coming. test/sanitize/run.mjs calls each
// one in its own node process and requires the matching report and a failed exit; only then
// does a clean run of the test suite against the sanitized addon mean anything.
#include <node_api.h>

#include <climits>
#include <cstdint>

namespace {

int32_t IntArg(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t value = 0;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) == napi_ok && argc == 1)
    napi_get_value_int32(env, argv[0], &value);
  return value;
}

napi_value Int(napi_env env, int32_t value) {
  napi_value result;
  napi_create_int32(env, value, &result);
  return result;
}

// clean(i) → the byte at index i of a 16-byte heap buffer (in bounds for 0..15): no report.
napi_value Clean(napi_env env, napi_callback_info info) {
  int32_t i = IntArg(env, info);
  char* buffer = new char[16]();
  buffer[i & 15] = 7;
  int32_t value = buffer[i & 15];
  delete[] buffer;
  return Int(env, value);
}

// heapOverflow(i) writes buffer[i] of an 8-byte heap buffer: i = 8 is one past the end, the
// bug the issue names (an unchecked length). AddressSanitizer: heap-buffer-overflow. (The
// volatile pointer hides the allocation's size from the compiler, so that UBSan's static
// object-size check does not report it first.)
napi_value HeapOverflow(napi_env env, napi_callback_info info) {
  int32_t i = IntArg(env, info);
  char* volatile buffer = new char[8]();
  buffer[i] = 1;
  int32_t value = buffer[0];
  delete[] buffer;
  return Int(env, value);
}

// useAfterFree(i) reads a heap buffer after delete[]: the bug of a handle freed while its
// callback still runs. AddressSanitizer: heap-use-after-free.
napi_value UseAfterFree(napi_env env, napi_callback_info info) {
  int32_t i = IntArg(env, info);
  char* volatile buffer = new char[8]();
  delete[] buffer;
  return Int(env, buffer[i & 7]);
}

// signedOverflow(n) → INT_MAX + n: n = 1 overflows. UndefinedBehaviorSanitizer: "runtime error:
// signed integer overflow", fatal under -fno-sanitize-recover=all.
napi_value SignedOverflow(napi_env env, napi_callback_info info) {
  volatile int32_t base = INT_MAX;
  int32_t n = IntArg(env, info);
  return Int(env, base + n);
}

napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor exported[] = {
      {"clean", nullptr, Clean, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"heapOverflow", nullptr, HeapOverflow, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"useAfterFree", nullptr, UseAfterFree, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"signedOverflow", nullptr, SignedOverflow, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(exported) / sizeof(exported[0]), exported);
  return exports;
}

}  // namespace

NAPI_MODULE_INIT() { return Init(env, exports); }
