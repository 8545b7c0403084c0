// Argument checks shared by every wrapper. Each returns false after throwing a TypeError or
// RangeError (with a Node-style `code`), so a wrapper does `if (!GetFd(...)) return {};` and no
// syscall runs on bad input.
#ifndef SYSSOCK_ARGS_H_
#define SYSSOCK_ARGS_H_

#include <napi.h>

#include <climits>
#include <cstddef>
#include <cstdint>
#include <string>

namespace syssock {

void ThrowTypeError(Napi::Env env, const char* name, const char* expected);
// A number as JavaScript prints it: "1", "1.5", "NaN", "Infinity" (for error messages).
std::string NumberText(double value);
void ThrowRangeError(Napi::Env env, const char* name, const char* message);

// Throws the TypeError (not a number) or RangeError (fraction, NaN, ±Infinity, out of range)
// for info[i]. Kept out of line and cold so the checks below stay small on the hot path.
[[gnu::cold, gnu::noinline]] bool ThrowIntError(const Napi::CallbackInfo& info, size_t i,
                                                const char* name, int64_t min, int64_t max);

// An integer-valued number in [min, max]; fractions, NaN and ±Infinity are RangeErrors and a
// non-number is a TypeError.
inline bool GetInt(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t min,
                   int64_t max, int64_t* out) {
  double value = 0;
  // NaN fails both comparisons; the trunc check rejects fractions and ±Infinity.
  if (napi_get_value_double(info.Env(), info[i], &value) == napi_ok &&
      value >= static_cast<double>(min) && value <= static_cast<double>(max) &&
      __builtin_trunc(value) == value) {
    *out = static_cast<int64_t>(value);
    return true;
  }
  return ThrowIntError(info, i, name, min, max);
}

inline bool GetInt32(const Napi::CallbackInfo& info, size_t i, const char* name, int32_t* out) {
  int64_t value = 0;
  if (!GetInt(info, i, name, INT32_MIN, INT32_MAX, &value)) return false;
  *out = static_cast<int32_t>(value);
  return true;
}

// A file descriptor: an integer in [INT32_MIN, INT32_MAX]. Negative numbers are passed on, so
// that the kernel answers them with EBADF exactly as it would in C.
inline bool GetFd(const Napi::CallbackInfo& info, size_t i, int* out) {
  return GetInt32(info, i, "fd", out);
}

// Bytes of a Buffer, TypedArray or DataView (never copied). A detached buffer has length 0.
struct Bytes {
  uint8_t* data;
  size_t length;
};
bool GetBytes(const Napi::CallbackInfo& info, size_t i, const char* name, Bytes* out);
// The bytes of `value` when it is a Buffer, TypedArray or DataView; false (nothing thrown) if not.
bool BytesOf(napi_env env, napi_value value, Bytes* out);
// GetBytes followed by an (offset, length) pair in arguments i+1 and i+2 that must lie inside
// the view; on success out is narrowed to that range.
bool GetByteRange(const Napi::CallbackInfo& info, size_t i, const char* name, Bytes* out);

inline Napi::Value Result(Napi::Env env, int64_t value) {
  return Napi::Number::New(env, static_cast<double>(value));
}

}  // namespace syssock

#endif  // SYSSOCK_ARGS_H_
