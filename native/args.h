// Argument checks shared by every wrapper. Each returns false after throwing a TypeError or
// RangeError (with a Node-style `code`), so a wrapper does `if (!GetFd(...)) return {};` and no
// syscall runs on bad input.
#ifndef SYSSOCK_ARGS_H_
#define SYSSOCK_ARGS_H_

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace syssock {

void ThrowTypeError(Napi::Env env, const char* name, const char* expected);
// A number as JavaScript prints it: "1", "1.5", "NaN", "Infinity" (for error messages).
std::string NumberText(double value);
void ThrowRangeError(Napi::Env env, const char* name, const char* message);

// An integer-valued number in [min, max]; fractions, NaN and ±Infinity are RangeErrors and a
// non-number is a TypeError.
bool GetInt(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t min, int64_t max,
            int64_t* out);
bool GetInt32(const Napi::CallbackInfo& info, size_t i, const char* name, int32_t* out);
// A file descriptor: an integer in [INT32_MIN, INT32_MAX]. Negative numbers are passed on, so
// that the kernel answers them with EBADF exactly as it would in C.
bool GetFd(const Napi::CallbackInfo& info, size_t i, int* out);

// Bytes of a Buffer, TypedArray or DataView (never copied). A detached buffer has length 0.
struct Bytes {
  uint8_t* data;
  size_t length;
};
bool GetBytes(const Napi::CallbackInfo& info, size_t i, const char* name, Bytes* out);
// GetBytes followed by an (offset, length) pair in arguments i+1 and i+2 that must lie inside
// the view; on success out is narrowed to that range.
bool GetByteRange(const Napi::CallbackInfo& info, size_t i, const char* name, Bytes* out);

inline Napi::Value Result(Napi::Env env, int64_t value) {
  return Napi::Number::New(env, static_cast<double>(value));
}

}  // namespace syssock

#endif  // SYSSOCK_ARGS_H_
