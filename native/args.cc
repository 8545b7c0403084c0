#include "args.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace syssock {

void ThrowTypeError(Napi::Env env, const char* name, const char* expected) {
  std::string message = std::string("The \"") + name + "\" argument must be " + expected;
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message.c_str());
}

void ThrowRangeError(Napi::Env env, const char* name, const char* message) {
  std::string text = std::string("The value of \"") + name + "\" is out of range. " + message;
  napi_throw_range_error(env, "ERR_OUT_OF_RANGE", text.c_str());
}

std::string NumberText(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  char text[32];
  std::snprintf(text, sizeof(text), "%.17g", value);
  // %.17g prints 1.5 as 1.5 and 0.1 as 0.10000000000000001; retry shorter when that round-trips.
  for (int precision = 1; precision < 17; precision++) {
    char shorter[32];
    std::snprintf(shorter, sizeof(shorter), "%.*g", precision, value);
    if (std::strtod(shorter, nullptr) == value) return shorter;
  }
  return text;
}

bool ThrowIntError(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t min,
                   int64_t max) {
  double value;
  if (napi_get_value_double(info.Env(), info[i], &value) != napi_ok) {
    ThrowTypeError(info.Env(), name, "of type number");
    return false;
  }
  std::string message = "It must be an integer >= " + std::to_string(min) +
                        " and <= " + std::to_string(max) + ". Received " + NumberText(value);
  ThrowRangeError(info.Env(), name, message.c_str());
  return false;
}

bool BytesOf(napi_env env, napi_value value, Bytes* out) {
  napi_typedarray_type type;
  size_t length;
  void* data;
  // One call both tests for a TypedArray (Buffer included) and reads it: the hot path.
  if (napi_get_typedarray_info(env, value, &type, &length, &data, nullptr, nullptr) == napi_ok) {
    size_t element_size = 1;
    switch (type) {
      case napi_int16_array:
      case napi_uint16_array:
        element_size = 2;
        break;
      case napi_int32_array:
      case napi_uint32_array:
      case napi_float32_array:
        element_size = 4;
        break;
      case napi_float64_array:
      case napi_bigint64_array:
      case napi_biguint64_array:
        element_size = 8;
        break;
      default:
        element_size = 1;
    }
    out->data = static_cast<uint8_t*>(data);
    out->length = data == nullptr ? 0 : length * element_size;
    return true;
  }
  bool is_dataview = false;
  napi_is_dataview(env, value, &is_dataview);
  if (is_dataview) {
    if (napi_get_dataview_info(env, value, &length, &data, nullptr, nullptr) != napi_ok)
      return false;
    out->data = static_cast<uint8_t*>(data);
    out->length = data == nullptr ? 0 : length;
    return true;
  }
  return false;
}

bool GetBytes(const Napi::CallbackInfo& info, size_t i, const char* name, Bytes* out) {
  if (BytesOf(info.Env(), info[i], out)) return true;
  ThrowTypeError(info.Env(), name, "an instance of Buffer, TypedArray or DataView");
  return false;
}

bool GetByteRange(const Napi::CallbackInfo& info, size_t i, const char* name, Bytes* out) {
  if (!GetBytes(info, i, name, out)) return false;
  constexpr int64_t kMax = static_cast<int64_t>(1) << 53;
  int64_t offset = 0, length = 0;
  if (!GetInt(info, i + 1, "offset", 0, kMax, &offset)) return false;
  if (!GetInt(info, i + 2, "length", 0, kMax, &length)) return false;
  if (static_cast<uint64_t>(offset) > out->length) {
    std::string message = "It must be <= " + std::to_string(out->length) +
                          " (the byte length of \"" + name + "\"). Received " +
                          std::to_string(offset);
    ThrowRangeError(info.Env(), "offset", message.c_str());
    return false;
  }
  if (static_cast<uint64_t>(length) > out->length - static_cast<size_t>(offset)) {
    std::string message = "offset + length must be <= " + std::to_string(out->length) +
                          " (the byte length of \"" + name + "\"). Received " +
                          std::to_string(offset) + " + " + std::to_string(length);
    ThrowRangeError(info.Env(), "length", message.c_str());
    return false;
  }
  out->data += offset;
  out->length = static_cast<size_t>(length);
  return true;
}

}  // namespace syssock
